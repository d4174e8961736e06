CREATE TABLE `images` (
	`id` text PRIMARY KEY NOT NULL,
	`chat_id` text NOT NULL,
	`media_type` text NOT NULL,
	`data` blob NOT NULL,
	`width` integer NOT NULL,
	`height` integer NOT NULL,
	`bytes` integer NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`chat_id`) REFERENCES `chats`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "images_media_type_check" CHECK("images"."media_type" in ('image/png', 'image/jpeg', 'image/webp'))
);
--> statement-breakpoint
CREATE INDEX `images_chat_id_idx` ON `images` (`chat_id`);--> statement-breakpoint
ALTER TABLE `messages` ADD `images` text;