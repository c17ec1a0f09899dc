import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redisServerMissing, RedisServerProcess } from './redis-server';

describe(redisServerMissing.name, () => {
  const path = process.env.PATH;
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'seckill-path-'));
  });
  afterEach(() => {
    process.env.PATH = path;
    rmSync(dir, { recursive: true, force: true });
  });

  it('says what to install when no redis-server is on the PATH', () => {
    process.env.PATH = dir;
    expect(redisServerMissing()).toBe(
      'redis-server not found: install it (apt-get install redis-server)',
    );
  });

  it('fails a fault test at once with that line, not after a PING timeout', async () => {
    process.env.PATH = dir;
    await expect(RedisServerProcess.start()).rejects.toThrow('redis-server not found');
  });

  it('finds an executable redis-server in any PATH directory', () => {
    const binary = join(dir, 'redis-server');
    writeFileSync(binary, '#!/bin/sh\n');
    chmodSync(binary, 0o755);
    process.env.PATH = `/nonexistent:${dir}`;
    expect(redisServerMissing()).toBeUndefined();
  });
});
