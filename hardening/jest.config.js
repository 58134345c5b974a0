// The tests drive real processes and sockets (mostly waiting on I/O): two workers even on two cores.
module.exports = { ...require("../jest.config.base.js")(__dirname), maxWorkers: 2 };
