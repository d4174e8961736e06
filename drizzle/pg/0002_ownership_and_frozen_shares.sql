ALTER TABLE "chats" ADD COLUMN "owner_hash" text;--> statement-breakpoint
ALTER TABLE "shares" ADD COLUMN "code" text;--> statement-breakpoint
ALTER TABLE "shares" ADD COLUMN "title" text;--> statement-breakpoint
ALTER TABLE "shares" ADD COLUMN "summary" text;--> statement-breakpoint
ALTER TABLE "shares" ADD COLUMN "model" text;--> statement-breakpoint
ALTER TABLE "shares" ADD COLUMN "version" integer;