import { Controller, Get } from '@nestjs/common';
import { buildLedgerOpenApi } from './openapi.document';

@Controller('docs')
export class LedgerDocsHttpController {
  private readonly document = buildLedgerOpenApi();

  @Get('openapi.json')
  openapi(): Record<string, unknown> {
    return this.document;
  }
}
