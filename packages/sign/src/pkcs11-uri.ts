// RFC 7512 PKCS#11 URIs: `pkcs11:token=T;object=O;id=%01?pin-source=file:/p`.
// Path attributes pick the token and key; query attributes carry the PIN.
// Pure parsing, so each rule is unit-tested without a module.
import { OrelError } from '@orel/core';

export interface Pkcs11Uri {
  /** Token selectors (CK_TOKEN_INFO fields). */
  token?: string;
  manufacturer?: string;
  model?: string;
  serial?: string;
  slotId?: number;
  /** Key selectors (CKA_LABEL, CKA_ID). */
  object?: string;
  id?: Buffer;
  type?: string;
  pinValue?: string;
  /** A file holding the PIN (file: URI or path). */
  pinSource?: string;
  modulePath?: string;
  moduleName?: string;
}

const PATH_ATTRS = new Set(['token', 'manufacturer', 'model', 'serial', 'slot-id', 'slot-description', 'slot-manufacturer', 'object', 'id', 'type', 'library-manufacturer', 'library-description', 'library-version']);
const QUERY_ATTRS = new Set(['pin-value', 'pin-source', 'module-path', 'module-name']);

function decode(raw: string, uri: string): Buffer {
  // Percent-decoding to bytes: CKA_ID is binary, so decodeURIComponent (UTF-8 only) will not do.
  const out: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === '%') {
      const hex = raw.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw invalid(uri, `bad percent-encoding "%${hex}"`);
      out.push(parseInt(hex, 16));
      i += 2;
    } else out.push(...Buffer.from(raw[i]));
  }
  return Buffer.from(out);
}

const invalid = (uri: string, why: string): OrelError =>
  new OrelError('KEY_INVALID', `PKCS#11 URI "${redactPin(uri)}": ${why}`, {
    hint: 'write pkcs11:token=LABEL;object=KEY-LABEL (RFC 7512); put the PIN in the plan as pin: ${env:NAME}',
  });

/** The URI with any pin-value masked, for messages. */
export function redactPin(uri: string): string {
  return uri.replace(/(pin-value=)[^&;]*/g, '$1***');
}

export function parsePkcs11Uri(uri: string): Pkcs11Uri {
  if (!uri.startsWith('pkcs11:')) throw invalid(uri, 'does not start with "pkcs11:"');
  const [path, query = ''] = uri.slice('pkcs11:'.length).split('?', 2);
  const out: Pkcs11Uri = {};
  const seen = new Set<string>();
  const each = (part: string, sep: string, allowed: Set<string>, where: string): void => {
    for (const attr of part.split(sep).filter(Boolean)) {
      const eq = attr.indexOf('=');
      const name = eq < 0 ? attr : attr.slice(0, eq);
      if (!allowed.has(name) && !name.startsWith('x-')) throw invalid(uri, `unknown ${where} attribute "${name}"`);
      if (seen.has(name)) throw invalid(uri, `attribute "${name}" appears twice`);
      seen.add(name);
      if (eq < 0) throw invalid(uri, `attribute "${name}" has no value`);
      assign(out, name, decode(attr.slice(eq + 1), uri), uri);
    }
  };
  each(path, ';', PATH_ATTRS, 'path');
  each(query, '&', QUERY_ATTRS, 'query');
  if (!out.object && !out.id) throw invalid(uri, 'names no key: add object=LABEL or id=%XX');
  if (out.type && out.type !== 'private') throw invalid(uri, `type=${out.type}: the signer needs the private key (type=private)`);
  return out;
}

function assign(out: Pkcs11Uri, name: string, value: Buffer, uri: string): void {
  const text = value.toString('utf8');
  switch (name) {
    case 'id':
      out.id = value;
      break;
    case 'slot-id':
      if (!/^\d+$/.test(text)) throw invalid(uri, `slot-id "${text}" is not a number`);
      out.slotId = Number(text);
      break;
    case 'pin-value':
      out.pinValue = text;
      break;
    case 'pin-source':
      out.pinSource = text.startsWith('file:') ? decodeURIComponent(new URL(text).pathname) : text;
      break;
    case 'module-path':
      out.modulePath = text;
      break;
    case 'module-name':
      out.moduleName = text;
      break;
    case 'token':
    case 'manufacturer':
    case 'model':
    case 'serial':
    case 'object':
    case 'type':
      out[name] = text;
      break;
    default:
      break; // slot-/library- selectors and x- extensions: accepted, not used for matching
  }
}
