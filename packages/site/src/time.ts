// The UTC-6 time helpers live in @prepcast/runtime (the publisher's report uses them too).
export { MX_OFFSET_MS, formatMx, formatMxSeconds, isoMx, mxHourStart, mxDay, toEpochMs, humanDuration } from "@prepcast/runtime";
