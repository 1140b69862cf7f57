// Spans exported to memory, for the tests of tracing: kept past the tracer provider's shutdown (which is when the
// batch is exported), where InMemorySpanExporter forgets them.
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';

export class KeptSpans extends InMemorySpanExporter {
  override shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
