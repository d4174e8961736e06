ALTER TABLE `chats` ADD `owner_hash` text;--> statement-breakpoint
ALTER TABLE `shares` ADD `code` text;--> statement-breakpoint
ALTER TABLE `shares` ADD `title` text;--> statement-breakpoint
ALTER TABLE `shares` ADD `summary` text;--> statement-breakpoint
ALTER TABLE `shares` ADD `model` text;--> statement-breakpoint
ALTER TABLE `shares` ADD `version` integer;