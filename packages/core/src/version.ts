/** orel's version: what `orel --version` prints and what its provenance names as the builder's version. */
export const OREL_VERSION = '0.1.0';
