import { startNginx } from '/work/main/bench/nginx.ts';
const n = await startNginx();
console.log(n.base);
await new Promise(r => setTimeout(r, 600000));
