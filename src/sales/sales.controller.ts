import { Controller, Get, Header, Param, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { okList, SuccessEnvelope } from '../common/envelope';
import { ParseIdPipe } from '../common/parse-id.pipe';
import { AdminOnly, Public } from '../user/auth.decorators';
import { toVoucherResponse, VoucherResponse } from '../voucher/voucher.responses';
import { SaleEventStreams } from './sale-event-streams';
import { SaleWatchService } from './sale-watch.service';
import { SALES_PAGE_CSP, SALES_PAGE_CSS, SALES_PAGE_HTML, SALES_PAGE_SCRIPT } from './sales-page';

/**
 * Watch a sale live. The page and its assets are public (they hold no data); the
 * data needs the admin token.
 */
@ApiTags('admin')
@Controller('admin/sales')
export class SalesController {
  constructor(
    private readonly sales: SaleWatchService,
    private readonly streams: SaleEventStreams,
  ) {}

  @Public()
  @Get()
  @ApiExcludeEndpoint()
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('content-security-policy', SALES_PAGE_CSP)
  page(): string {
    return SALES_PAGE_HTML;
  }

  @Public()
  @Get('sales.js')
  @ApiExcludeEndpoint()
  @Header('content-type', 'text/javascript; charset=utf-8')
  script(): string {
    return SALES_PAGE_SCRIPT;
  }

  @Public()
  @Get('sales.css')
  @ApiExcludeEndpoint()
  @Header('content-type', 'text/css; charset=utf-8')
  stylesheet(): string {
    return SALES_PAGE_CSS;
  }

  @AdminOnly()
  @Get('vouchers')
  @ApiOperation({
    summary: 'The newest seckill vouchers with their stock, to pick one to watch (admin)',
  })
  async listSales(): Promise<SuccessEnvelope<VoucherResponse[]>> {
    return okList((await this.sales.listSales()).map(toVoucherResponse));
  }

  @AdminOnly()
  @Get(':voucherId/events')
  @ApiProduces('text/event-stream')
  @ApiOperation({
    summary:
      'A text/event-stream of fleet-wide snapshots of the sale, one a second, while the client listens (admin)',
  })
  async watchSale(
    @Param('voucherId', ParseIdPipe) voucherId: number,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    // An unknown voucher is a 404 in the envelope, before the stream starts.
    this.streams.open(reply, await this.sales.watch(voucherId));
  }
}
