import assert from "node:assert/strict";
import { test } from "node:test";
import { describeCron } from "../src/cron";

test("common schedules in words", () => {
  const cases: [string, string][] = [
    ["0 9 * * 1-5", "At 09:00 on Monday to Friday"],
    ["30 6 * * *", "At 06:30 every day"],
    [" 0  9,17 * * * ", "At 09:00 and 17:00 every day"],
    ["30 6 1,15 * *", "At 06:30 on day 1 and 15 of the month"],
    ["0 0 1 jan *", "At 00:00 on day 1 of the month in January"],
    ["0 9 1 * 1", "At 09:00 on day 1 of the month or on Monday"],
    ["0 */2 * * *", "Every 2 hours at minute 0"],
    ["15 * * * *", "Every hour at minute 15"],
    ["*/20 * * * *", "Every 20 minutes"],
    ["* * * * *", "Every minute"],
    ["0 9-17 * * mon-fri", "Every hour from 09:00 to 17:00 at minute 0 on Monday to Friday"],
    ["0 9 * * 5-7", "At 09:00 on Friday to Sunday"],
    ["0 9 * * 0,6", "At 09:00 on Sunday and Saturday"],
    ["0 12 * 6-8 *", "At 12:00 every day in June to August"],
  ];
  for (const [cron, words] of cases) assert.equal(describeCron(cron), words, cron);
});

test("what is not described, or not valid, gets no words", () => {
  for (const cron of ["", "0 9 * *", "61 * * * *", "0 24 * * *", "0 9 * * 8", "*/0 * * * *",
    "0 9 */2 * *", "*/5 9 * * *", "0 9 5-1 * *", "x * * * *"]) {
    assert.equal(describeCron(cron), null, cron);
  }
});
