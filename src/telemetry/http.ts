/** The shared HTTP client moved to src/http/ (it serves invoice adapters too); this keeps the old import path working. */
export * from '../http/index.js';
