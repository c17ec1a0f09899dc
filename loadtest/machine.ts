import { cpus, totalmem } from 'node:os';

/** Where figures were measured: without it a req/s number means little. */
export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  platform: string;
  loadGenerator: string;
}

export function describeMachine(): MachineInfo {
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadGenerator:
      'autocannon in the same process as the checks, on the same machine as the service, MariaDB and Redis',
  };
}
