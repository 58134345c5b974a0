// Progress lines of the transfer benchmark, on stderr with the time of day.
"use strict";

const log = (...m) => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...m);

module.exports = { log };
