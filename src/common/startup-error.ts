/** A dependency missing at boot: main.ts prints the message as one line and exits. */
export class StartupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StartupError';
  }
}

export const HOW_TO_START_DEPENDENCIES =
  'start MySQL and Redis with `docker compose up -d` (or point DB_* / REDIS_URL at running ones)';
