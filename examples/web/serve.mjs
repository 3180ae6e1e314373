// Serves the repository on 127.0.0.1 (the page needs http: module scripts and fetch do not work from file:) and
// prints the page's address. Any static server works if it sends .mjs/.js as JavaScript.
//   npm run build && node examples/web/serve.mjs [port]
import { startServer } from "../../test/browser/server.mjs";

const server = await startServer({ port: Number(process.argv[2] ?? 8080) });
console.log(`open ${server.url}examples/web/index.html  (Ctrl-C to stop)`);
