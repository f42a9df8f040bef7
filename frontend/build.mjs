// Copies the browser scripts into medspa/static/dist/ (no bundler: each file is served as is).
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "medspa", "static", "dist");

const files = {
  "htmx.min.js": "node_modules/htmx.org/dist/htmx.min.js",
  "alpine.min.js": "node_modules/@alpinejs/csp/dist/cdn.min.js",
  "app.js": "frontend/app.js",
  "shared.js": "frontend/shared.js",
  "photos.js": "frontend/photos.js",
  "chart.js": "frontend/chart.js",
  "event-calendar.min.js": "node_modules/@event-calendar/build/dist/event-calendar.min.js",
  "event-calendar.min.css": "node_modules/@event-calendar/build/dist/event-calendar.min.css",
  "calendar.css": "frontend/calendar.css",
  "chart_builder.js": "frontend/chart_builder.js",
  "consent_form.js": "frontend/consent_form.js",
  "form_builder.js": "frontend/form_builder.js",
};

mkdirSync(dist, { recursive: true });
for (const [target, source] of Object.entries(files)) {
  copyFileSync(join(root, source), join(dist, target));
  console.log(`${source} -> medspa/static/dist/${target}`);
}
