/**
 * The one module of artifice an invoice adapter imports (INVOICES.md, "Importing artifice"): the
 * contract's types, exact decimals, the error class an adapter throws, and the helpers the
 * built-in adapters use. An installed artifice offers it as `artifice/adapter`;
 * test/architecture.test.ts keeps every file of invoices/ to it.
 */
export type {
  Invoice, InvoiceClass, InvoiceConfig, InvoiceContext, InvoiceLine, InvoiceReference, InvoiceSetup, InvoiceTenant, LineBasis,
  PriceList, PricePeriod, PriceQuery, PriceRow, PriceTier, Window,
} from './contract.js';
export { Decimal, formatMoney, formatQuantity, formatRate, plainDecimal } from '../model/decimal.js';
export { AdapterError, PricingError, errorMessage } from '../model/errors.js';
// Redacting secrets in every form a server may quote them in (JSON, URL, HTML, base64).
export { Secrets } from '../model/secrets.js';
// Dates of a price list: `2024-05-15` or `2024-05-15T12:00` read in [main] timezone, or ISO-8601 with an offset.
export { readLocalInstant } from '../period.js';
export { formatTimestamp, type Micros } from '../model/time.js';
export { directoryProblem, packageFile } from '../model/paths.js';
// Replacing a file whole and durably (temp file + fsync + rename + fsync of the directory);
// from commit(), the async twin, which does not block the event loop while the disk syncs.
export {
  writeFileAtomic, writeFileAtomicAsync, type AtomicWriteAsyncFs, type AtomicWriteAsyncOptions, type AtomicWriteFs, type AtomicWriteOptions,
} from '../model/atomic-write.js';
export { unitMismatch } from './price-list.js';
// A line's service with the part of the window and the tier it covers, as an invoice shows it.
export { basisText, lineLabel } from './line-text.js';
// For a file adapter's invoiceExists(): the invoice file is there and not empty.
export { invoiceFileExists } from './exists.js';
// Whether a process of this host is alive: for cleaning up what a killed writer left behind.
export { processAlive } from '../ledger/owner.js';
// The shared HTTP client (timeouts, retries with backoff, keep-alive, TLS options), for adapters of a web API.
export { HttpClient, HttpError, type FetchLike } from '../http/index.js';
