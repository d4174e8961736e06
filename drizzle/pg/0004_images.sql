CREATE TABLE "images" (
	"id" text PRIMARY KEY NOT NULL,
	"chat_id" text NOT NULL,
	"media_type" text NOT NULL,
	"data" "bytea" NOT NULL,
	"width" integer NOT NULL,
	"height" integer NOT NULL,
	"bytes" integer NOT NULL,
	"created_at" bigint NOT NULL,
	CONSTRAINT "images_media_type_check" CHECK ("images"."media_type" in ('image/png', 'image/jpeg', 'image/webp'))
);
--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "images" jsonb;--> statement-breakpoint
ALTER TABLE "images" ADD CONSTRAINT "images_chat_id_chats_id_fk" FOREIGN KEY ("chat_id") REFERENCES "public"."chats"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "images_chat_id_idx" ON "images" USING btree ("chat_id");