/** One line of `artifice check`: what was checked, pass or fail, and what was found or how to fix it. */
export interface CheckItem {
  /** Short name, e.g. `config`, `telemetry endpoint`, `keystone auth`, `adapter`, `price coverage`. */
  name: string;
  ok: boolean;
  /** What was found (endpoint URL, adapter spec), or on failure what is wrong and how to fix it. Never a secret. */
  detail: string;
}
