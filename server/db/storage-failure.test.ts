import Database from "better-sqlite3";
import { DrizzleQueryError } from "drizzle-orm";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { UnknownRowError } from "./rows.server";
import { driverFailure, isStorageFailure, storageFailureCode } from "./storage-failure";

const sqlite = (code: string, message = "sqlite says no") => new Database.SqliteError(message, code);
const system = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code, syscall: "connect" });
function postgres(code: string, message = "postgres says no") {
  const error = new pg.DatabaseError(message, 0, "error");
  error.code = code;
  error.severity = "FATAL";
  return error;
}

describe("storage failures", () => {
  it.each([
    ["a full disk", sqlite("SQLITE_FULL", "database or disk is full")],
    ["a failed write (EFBIG, EIO, a file system remounted read-only)", sqlite("SQLITE_IOERR_WRITE", "disk I/O error")],
    ["a read-only database file", sqlite("SQLITE_READONLY", "attempt to write a readonly database")],
    ["a moved database file", sqlite("SQLITE_READONLY_DBMOVED")],
    ["a file that cannot be opened", sqlite("SQLITE_CANTOPEN")],
    ["another process holding the lock", sqlite("SQLITE_BUSY", "database is locked")],
    ["a corrupt file", sqlite("SQLITE_CORRUPT")],
    ["Postgres refusing connections", system("ECONNREFUSED")],
    ["a connection reset", system("ECONNRESET")],
    ["an unknown database host", system("ENOTFOUND")],
    ["Postgres shutting down (57P01)", postgres("57P01", "terminating connection due to administrator command")],
    ["Postgres starting up (57P03)", postgres("57P03", "the database system is starting up")],
    ["a full disk on the Postgres server (53100)", postgres("53100", "could not extend file")],
    ["too many connections (53300)", postgres("53300")],
    ["a connection exception (08006)", postgres("08006")],
    ["a read-only transaction on a standby (25006)", postgres("25006")],
    ["refused credentials (28P01)", postgres("28P01")],
    ["a lost connection", new Error("Connection terminated unexpectedly")],
    ["a connect timeout", new Error("timeout exceeded when trying to connect")],
  ])("%s is one", (_what, error) => {
    expect(isStorageFailure(error)).toBe(true);
  });

  it.each([
    ["a constraint violation", sqlite("SQLITE_CONSTRAINT_UNIQUE", "UNIQUE constraint failed")],
    ["a bad query", sqlite("SQLITE_ERROR", "no such table: chats")],
    ["a misuse of the API", sqlite("SQLITE_MISUSE")],
    ["a unique violation in Postgres (23505)", postgres("23505")],
    ["a syntax error in Postgres (42601)", postgres("42601")],
    ["an undefined column in Postgres (42703)", postgres("42703")],
    ["an unknown row", new UnknownRowError("chat")],
    ["a bad argument", new RangeError("takeRateLimitToken: capacity must be at least 1, got 0")],
    ["a bug", new TypeError("Cannot read properties of undefined (reading 'id')")],
    ["a closed connection (a shutdown, not the storage)", new TypeError("The database connection is not open")],
    ["a Node error of another kind", system("ENOENT")],
    ["something that is not an Error", "SQLITE_FULL"],
    ["nothing", undefined],
  ])("%s is not one", (_what, error) => {
    expect(isStorageFailure(error)).toBe(false);
  });

  it("looks through drizzle's DrizzleQueryError to the driver's error, which is what to log", () => {
    const cause = sqlite("SQLITE_IOERR_WRITE", "disk I/O error");
    const wrapped = new DrizzleQueryError("insert into messages values (?)", ["the user's prompt"], cause);
    expect(driverFailure(wrapped)).toEqual({ code: "SQLITE_IOERR_WRITE", error: cause });
    // A bug wrapped the same way stays a bug.
    expect(isStorageFailure(new DrizzleQueryError("insert", [], sqlite("SQLITE_CONSTRAINT_PRIMARYKEY")))).toBe(false);
  });

  it("looks into node-postgres's AggregateError (localhost refusing on ::1 and 127.0.0.1)", () => {
    const error = new AggregateError([system("ECONNREFUSED"), system("ECONNREFUSED")]);
    expect(storageFailureCode(error)).toBe("ECONNREFUSED");
  });

  it("names the code for the logs: pg's message-only connection errors as pg_connection", () => {
    expect(storageFailureCode(new Error("Connection terminated due to connection timeout"))).toBe("pg_connection");
    expect(storageFailureCode(postgres("57P01"))).toBe("57P01");
  });
});
