import { Body, Controller, Get, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ok, SuccessEnvelope } from '../common/envelope';
import { appConfig, AppConfig } from '../config/configuration';
import { CurrentSessionToken, CurrentShopper, Public, ShopperOnly } from './auth.decorators';
import { LoginDto } from './dto/login.dto';
import { SendCodeDto } from './dto/send-code.dto';
import { Shopper } from './shopper';
import { UserService } from './user.service';

@ApiTags('user')
@Controller('user')
export class UserController {
  constructor(
    private readonly users: UserService,
    @Inject(appConfig.KEY) private readonly config: AppConfig,
  ) {}

  @Public()
  @Post('code')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Send a login code (valid 2 minutes; limited per phone: a cooldown and a daily count); returned in data outside production',
  })
  async sendCode(@Body() body: SendCodeDto): Promise<SuccessEnvelope<string | null>> {
    const code = await this.users.sendLoginCode(body.phone);
    // Outside production the code is handed back so one can log in without an SMS gateway.
    return ok(this.config.isProduction ? null : code);
  }

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Log in (registering on first login); data is the token' })
  async login(@Body() body: LoginDto): Promise<SuccessEnvelope<string>> {
    return ok(await this.users.login(body.phone, body.code));
  }

  @ShopperOnly()
  @Post('logout')
  @HttpCode(200)
  @ApiOperation({ summary: "End the caller's session; the token answers 401 afterwards" })
  async logout(
    @CurrentShopper() shopper: Shopper,
    @CurrentSessionToken() token: string,
  ): Promise<SuccessEnvelope<null>> {
    await this.users.logout(shopper, token);
    return ok(null);
  }

  @ShopperOnly()
  @Get('me')
  me(@CurrentShopper() shopper: Shopper): SuccessEnvelope<Shopper> {
    return ok({ id: shopper.id, nickName: shopper.nickName, icon: shopper.icon });
  }
}
