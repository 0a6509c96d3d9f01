import { ConfigError, parseEnv } from './config';
import { serviceCredentialEnv } from './service-credential-env';

describe('serviceCredentialEnv', () => {
  const problems = (env: NodeJS.ProcessEnv) => {
    try {
      parseEnv(serviceCredentialEnv, env);
      return [];
    } catch (error) {
      return (error as ConfigError).problems;
    }
  };

  it('is required, and says how to get one', () => {
    expect(problems({})).toEqual([{ variable: 'SERVICE_CREDENTIAL_SECRET', message: expect.stringMatching(/is required.*npm start generates one/) }]);
  });

  it('refuses short secrets and lists several for rotation (the first signs)', () => {
    expect(problems({ SERVICE_CREDENTIAL_SECRET: 'short' })).toEqual([{ variable: 'SERVICE_CREDENTIAL_SECRET', message: 'every secret must be at least 32 characters' }]);
    expect(problems({ SERVICE_CREDENTIAL_SECRET: `${'a'.repeat(32)},short` })).toHaveLength(1);
    expect(parseEnv(serviceCredentialEnv, { SERVICE_CREDENTIAL_SECRET: ` ${'a'.repeat(32)} , ${'b'.repeat(40)}` }).SERVICE_CREDENTIAL_SECRET).toEqual(['a'.repeat(32), 'b'.repeat(40)]);
  });
});
