import { loadConfigOrExit } from '@audit/config';
import { createLogger } from '@audit/observability';
import { ConsoleEnv } from './console.config';
import { createConsoleServer } from './console.server';

const config = loadConfigOrExit('console', ConsoleEnv);
const logger = createLogger('console', config.LOG_LEVEL);
const server = createConsoleServer(config, logger);
server.listen(config.PORT, config.HOST, () => {
  logger.info(
    { url: `http://${config.HOST}:${config.PORT}/`, query: config.QUERY_URL, ledger: config.LEDGER_URL, devLogin: config.NODE_ENV !== 'production' },
    `console at http://${config.HOST}:${config.PORT}/`,
  );
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => server.close(() => process.exit(0)));
