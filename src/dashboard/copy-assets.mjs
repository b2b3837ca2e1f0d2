// Build step (npm run build): the page's static files and uPlot, next to the compiled page scripts, so the
// service serves everything the page loads itself (no CDN). Runs after tsc has written dist/dashboard/public/js.
import { cpSync } from 'node:fs';

const out = 'dist/dashboard/public';
cpSync('src/dashboard/public', out, { recursive: true });
for (const file of ['uPlot.iife.min.js', 'uPlot.min.css']) {
  cpSync(`node_modules/uplot/dist/${file}`, `${out}/vendor/${file}`);
}
cpSync('node_modules/uplot/LICENSE', `${out}/vendor/uPlot.LICENSE.txt`);
