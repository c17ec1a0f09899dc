import { DomainError } from '../common/domain-error';

export class MetricsTokenRequiredError extends DomainError {
  constructor() {
    super('METRICS_TOKEN_REQUIRED');
  }
}
