-- Unlogged: the events of running answers are worth no WAL (the answer itself is saved in messages);
-- a Postgres crash empties this table, and browsers then start the turn again.
CREATE UNLOGGED TABLE "generation_events" (
	"generation_id" text NOT NULL,
	"seq" integer NOT NULL,
	"event" text NOT NULL,
	"data" text NOT NULL,
	CONSTRAINT "generation_events_generation_id_seq_pk" PRIMARY KEY("generation_id","seq")
);
--> statement-breakpoint
CREATE TABLE "generations" (
	"id" text PRIMARY KEY NOT NULL,
	"chat_id" text NOT NULL,
	"replica" text NOT NULL,
	"status" text NOT NULL,
	"model" text NOT NULL,
	"turn_position" integer NOT NULL,
	"last_seq" integer NOT NULL,
	"started_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL,
	CONSTRAINT "generations_status_check" CHECK ("generations"."status" in ('running', 'interrupted', 'finished'))
);
--> statement-breakpoint
ALTER TABLE "generation_events" ADD CONSTRAINT "generation_events_generation_id_generations_id_fk" FOREIGN KEY ("generation_id") REFERENCES "public"."generations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "generations" ADD CONSTRAINT "generations_chat_id_chats_id_fk" FOREIGN KEY ("chat_id") REFERENCES "public"."chats"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "generations_chat_id_idx" ON "generations" USING btree ("chat_id");