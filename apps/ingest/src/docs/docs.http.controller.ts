import { Controller, Get, Header } from '@nestjs/common';
import { buildOpenApiDocument } from './openapi.document';

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Audit ledger — ingest API</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}pre{background:#f5f5f5;padding:1rem;overflow:auto}</style></head>
<body><h1>Audit ledger — ingest API</h1>
<p>The OpenAPI 3.1 document, generated from the validating schemas: <a href="/docs/openapi.json">/docs/openapi.json</a>.</p>
<pre id="doc">loading…</pre>
<script>fetch('/docs/openapi.json').then(r=>r.json()).then(d=>{document.getElementById('doc').textContent=JSON.stringify(d,null,2)})</script>
</body></html>`;

/** `/docs` (a minimal page, no external assets) and `/docs/openapi.json`. */
@Controller('docs')
export class DocsHttpController {
  private readonly document = buildOpenApiDocument();

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  page(): string {
    return PAGE;
  }

  @Get('openapi.json')
  openapi(): Record<string, unknown> {
    return this.document;
  }
}
