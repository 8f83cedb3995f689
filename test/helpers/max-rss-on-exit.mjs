// Preloaded into a child process (`node --import ./test/helpers/max-rss-on-exit.mjs ...`):
// on exit, prints the process's peak resident set size to stderr as `maxRssKb=N`.
// process.resourceUsage().maxRSS is the kernel's ru_maxrss, in kilobytes.
process.on('exit', () => process.stderr.write(`maxRssKb=${process.resourceUsage().maxRSS}\n`));
