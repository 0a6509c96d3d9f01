import { Injectable } from '@nestjs/common';
import { InjectConfig } from '@audit/service-shell';
import type { LedgerConfig } from '../app.module';
import { loadSigningKeys, type SigningKeys } from './signing-keys';

/** The checkpoint signing key and the public keys verifiers should trust, loaded once at boot. */
@Injectable()
export class SigningKeysProvider {
  readonly keys: SigningKeys;
  constructor(@InjectConfig() config: LedgerConfig) {
    this.keys = loadSigningKeys(config);
  }
}
