// Trust checks in the reader's own browser: the chain's public JSON-RPC (named by the service's
// GET /api/chain), read with plain `eth_call`s, never through the service's own answers.
//
// The ABI encoding is written out: every argument here is a static type, so a call is the
// 4-byte selector followed by one 32-byte word per argument, and a static tuple comes back as
// one word per field. The payout leaf is hashed as ledger/merkle.py hashes it (OpenZeppelin's
// StandardMerkleTree): keccak256(keccak256(abi.encode(uint64 periodId, uint32 index,
// address account, uint256 amount))), inner nodes keccak256 of the two children, smaller first.
//
// Widgets are found by `data-verify` (placement | payout) and read everything from data
// attributes, including the words they show (the page renders them in the reader's language).
import { keccak_256 } from "./vendor/noble-hashes/sha3.js";

const UINT256_MAX = (1n << 256n) - 1n;
const RPC_TIMEOUT_MS = 10000;
const utf8 = new TextEncoder();

// --- bytes and ABI ---------------------------------------------------------------------------

export function hexToBytes(hex) {
  const digits = hex.startsWith("0x") ? hex.slice(2) : hex;
  if (digits.length % 2 !== 0 || /[^0-9a-fA-F]/.test(digits)) {
    throw new Error(`not a hex string: ${hex}`);
  }
  const bytes = new Uint8Array(digits.length / 2);
  for (let i = 0; i < bytes.length; i += 1) {
    bytes[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  }
  return bytes;
}

export function bytesToHex(bytes) {
  return "0x" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The first four bytes of keccak256 of the signature, as `0x` + 8 hex digits. */
export function selector(signature) {
  return bytesToHex(keccak_256(utf8.encode(signature)).slice(0, 4));
}

/** An unsigned integer as one ABI word (64 hex digits, no `0x`). */
export function uintWord(value) {
  const number = BigInt(value);
  if (number < 0n || number > UINT256_MAX) throw new Error(`out of uint256 range: ${value}`);
  return number.toString(16).padStart(64, "0");
}

/** An address as one ABI word: left-padded with zeros. */
export function addressWord(address) {
  if (!/^0x[0-9a-fA-F]{40}$/.test(address)) throw new Error(`not an address: ${address}`);
  return address.slice(2).toLowerCase().padStart(64, "0");
}

/** Calldata for a function whose arguments are all static: selector + one word each. */
export function encodeCall(signature, words) {
  return selector(signature) + words.join("");
}

/** A returned static tuple as its words (BigInt each). */
export function decodeWords(hex, count) {
  const digits = hex.startsWith("0x") ? hex.slice(2) : hex;
  if (digits.length < 64 * count) throw new Error(`expected ${count} words, got 0x${digits}`);
  return Array.from({ length: count }, (_, i) => BigInt("0x" + digits.slice(64 * i, 64 * i + 64)));
}

// --- the payout tree, as ledger/merkle.py builds it -------------------------------------------

export function leafHash(periodId, index, account, amount) {
  const encoded = uintWord(periodId) + uintWord(index) + addressWord(account) + uintWord(amount);
  return keccak_256(keccak_256(hexToBytes(encoded)));
}

function compareBytes(a, b) {
  for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return a.length - b.length;
}

export function hashPair(a, b) {
  const [low, high] = compareBytes(a, b) < 0 ? [a, b] : [b, a];
  const joined = new Uint8Array(low.length + high.length);
  joined.set(low, 0);
  joined.set(high, low.length);
  return keccak_256(joined);
}

/** The root a leaf hash and its proof (hex strings) fold to (OpenZeppelin `processProof`). */
export function processProof(leaf, proof) {
  return proof.reduce((node, sibling) => hashPair(node, hexToBytes(sibling)), leaf);
}

/** `[periodId, index, account, amount]` and its proof -> {leaf, root} as hex. */
export function rootOf(row, proof) {
  const leaf = leafHash(...row);
  return { leaf: bytesToHex(leaf), root: bytesToHex(processProof(leaf, proof)) };
}

// --- the chain, over JSON-RPC ------------------------------------------------------------------

/** The browser could not talk to the node at all (down, wrong address, blocked by CORS). */
export class Unreachable extends Error {
  constructor(url, reason) {
    super(reason);
    this.url = url;
  }
}

/** The node answered, but with a JSON-RPC error. */
export class RpcError extends Error {
  constructor(url, reason) {
    super(reason);
    this.url = url;
  }
}

/** The service names no deployment (GET /api/chain is not 200). */
export class NoChain extends Error {}

/** The node is another chain than the one the contracts were deployed on. */
export class WrongChain extends Error {
  constructor(url, got, expected) {
    super(`chain ${got}, expected ${expected}`);
    Object.assign(this, { url, got, expected });
  }
}

let nextId = 1;

export async function rpc(url, method, params) {
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, params }),
      signal: AbortSignal.timeout(RPC_TIMEOUT_MS),
      credentials: "omit",
      cache: "no-store",
    });
  } catch (error) {
    throw new Unreachable(url, error.name === "TimeoutError" ? "timed-out" : "no-answer");
  }
  if (!response.ok) throw new Unreachable(url, `HTTP ${response.status}`);
  let body;
  try {
    body = await response.json();
  } catch {
    throw new Unreachable(url, "not-json-rpc");
  }
  if (body.error) throw new RpcError(url, String(body.error.message || body.error.code));
  return body.result;
}

export function ethCall(url, to, data) {
  return rpc(url, "eth_call", [{ to, data }, "latest"]);
}

/** What the service says about its chain: chain id, RPC URL, contract addresses. */
export async function chainFacts() {
  const response = await fetch("/api/chain", { headers: { accept: "application/json" } });
  if (!response.ok) throw new NoChain(`GET /api/chain: ${response.status}`);
  return response.json();
}

/** The facts, after checking the node at their RPC URL is the chain they name. */
export async function connect() {
  const facts = await chainFacts();
  const chainId = BigInt(await rpc(facts.rpc_url, "eth_chainId", []));
  if (chainId !== BigInt(facts.chain_id)) {
    throw new WrongChain(facts.rpc_url, chainId.toString(), String(facts.chain_id));
  }
  return facts;
}

export async function placementOf(url, registry, id) {
  const data = encodeCall("placementOf(uint64)", [uintWord(id)]);
  const [sponsor, parent, position, placedAt] = decodeWords(await ethCall(url, registry, data), 4);
  return { sponsor, parent, position, placedAt };
}

export async function payoutTermsOf(url, anchor, periodId) {
  const data = encodeCall("payoutTermsOf(uint64)", [uintWord(periodId)]);
  const [root, total, leafCount, anchoredAt] = decodeWords(await ethCall(url, anchor, data), 4);
  return { root: "0x" + root.toString(16).padStart(64, "0"), total, leafCount, anchoredAt };
}

export async function isPaid(url, vault, periodId, index) {
  const data = encodeCall("isPaid(uint64,uint32)", [uintWord(periodId), uintWord(index)]);
  const [flag] = decodeWords(await ethCall(url, vault, data), 1);
  return flag === 1n;
}

export function receiptOf(url, txHash) {
  return rpc(url, "eth_getTransactionReceipt", [txHash]);
}

// --- the widgets -------------------------------------------------------------------------------

/** A message of the widget (`data-msg-<name>`), its `{placeholders}` filled in. */
function say(widget, name, values = {}) {
  const key = "msg" + name.replace(/(^|-)(\w)/g, (_, __, c) => c.toUpperCase());
  const template = widget.dataset[key] ?? name;
  return template.replace(/\{(\w+)\}/g, (whole, field) =>
    field in values ? String(values[field]) : whole,
  );
}

function failure(widget, error) {
  if (error instanceof Unreachable) {
    // The reason in the reader's words where the page gave some (no-answer, timed-out, ...).
    const reason = say(widget, error.message);
    return say(widget, "unreachable", { url: error.url, reason });
  }
  if (error instanceof RpcError) return say(widget, "rpc-error", { url: error.url, reason: error.message });
  if (error instanceof WrongChain) return say(widget, "wrong-chain", error);
  if (error instanceof NoChain) return say(widget, "no-chain");
  return say(widget, "rpc-error", { url: "?", reason: String(error.message || error) });
}

function announce(widget, text, state) {
  const status = widget.querySelector("[data-verify-status]");
  status.textContent = text;
  status.dataset.state = state; // match | mismatch | pending | error | busy
}

/** A verdict in words, with a sign for the eye (hidden from screen readers, which read the word). */
function verdict(cell, widget, ok) {
  const sign = document.createElement("span");
  sign.setAttribute("aria-hidden", "true");
  sign.textContent = ok ? "✓ " : "✗ ";
  cell.replaceChildren(sign, say(widget, ok ? "match" : "mismatch"));
  cell.dataset.state = ok ? "match" : "mismatch";
}

async function run(widget, check) {
  const button = widget.querySelector("[data-verify-run]");
  if (button) button.disabled = true;
  try {
    const facts = await connect();
    announce(widget, say(widget, "checking", { url: facts.rpc_url }), "busy");
    await check(widget, facts);
  } catch (error) {
    announce(widget, failure(widget, error), "error");
  } finally {
    if (button) button.disabled = false;
  }
}

const PLACED_EVENT = "Placed(uint64,uint64,uint64,uint32)";

async function checkPlacement(widget, facts) {
  const data = widget.dataset;
  const url = facts.rpc_url;
  const registry = facts.contracts.GenealogyRegistry;
  const onChain = await placementOf(url, registry, data.id);
  const rows = Object.fromEntries(
    Array.from(widget.querySelectorAll("tr[data-field]"), (row) => [row.dataset.field, row]),
  );
  const cell = (field, which) => rows[field].querySelector(`[data-${which}]`);
  if (onChain.placedAt === 0n) {
    for (const field of ["sponsor", "parent", "position", "tx"]) {
      cell(field, "chain").textContent = say(widget, "not-placed");
      cell(field, "result").textContent = "—";
      delete cell(field, "result").dataset.state;
    }
    const pending = data.status === "pending";
    announce(widget, say(widget, pending ? "pending" : "missing", { id: data.id }), pending ? "pending" : "mismatch");
    return;
  }
  const who = (id) =>
    id === 0n ? data.wordNobody : data.wordId.replace("{id}", id.toString());
  const where = (position) => {
    if (onChain.parent === 0n) return "—";
    if (data.width === "2" && position < 2n) return position === 0n ? data.wordLeft : data.wordRight;
    return data.wordNumber.replace("{n}", (position + 1n).toString());
  };
  const expected = {
    sponsor: BigInt(data.sponsor),
    parent: BigInt(data.parent),
    position: BigInt(data.position),
  };
  const shown = { sponsor: who(onChain.sponsor), parent: who(onChain.parent), position: where(onChain.position) };
  const differ = [];
  for (const field of ["sponsor", "parent", "position"]) {
    const ok = onChain[field] === expected[field];
    cell(field, "chain").textContent = shown[field];
    verdict(cell(field, "result"), widget, ok);
    if (!ok) differ.push(rows[field].dataset.name);
  }
  await checkPlacementTx(widget, url, registry, cell("tx", "chain"), cell("tx", "result"));
  if (differ.length === 0) announce(widget, say(widget, "all-match"), "match");
  else announce(widget, say(widget, "some-differ", { fields: differ.join(", ") }), "mismatch");
}

/** The transaction the service names: on this chain, and carrying this id's Placed event. */
async function checkPlacementTx(widget, url, registry, chainCell, resultCell) {
  const { tx, id } = widget.dataset;
  if (!tx) {
    chainCell.textContent = "—";
    resultCell.textContent = "—";
    return;
  }
  const receipt = await receiptOf(url, tx);
  if (!receipt) {
    chainCell.textContent = say(widget, "tx-missing");
    verdict(resultCell, widget, false);
    return;
  }
  const block = BigInt(receipt.blockNumber).toString();
  if (receipt.status !== "0x1") {
    chainCell.textContent = say(widget, "tx-failed");
    verdict(resultCell, widget, false);
    return;
  }
  const topic = bytesToHex(keccak_256(utf8.encode(PLACED_EVENT)));
  const idTopic = "0x" + uintWord(id);
  const placed = receipt.logs.some(
    (log) =>
      log.address.toLowerCase() === registry.toLowerCase() &&
      log.topics[0] === topic &&
      log.topics[1] === idTopic,
  );
  chainCell.textContent = say(widget, placed ? "block" : "no-event", { block, id });
  verdict(resultCell, widget, placed);
}

async function checkPayout(widget, facts) {
  const data = widget.dataset;
  const url = facts.rpc_url;
  const row = [data.period, data.index, data.account, data.amount];
  const proof = data.proof.split(/\s+/).filter(Boolean);
  const out = (name) => widget.querySelector(`[data-out="${name}"]`);
  const { leaf, root } = rootOf(row, proof);
  const terms = await payoutTermsOf(url, facts.contracts.PeriodAnchor, data.period);
  const paid = await isPaid(url, facts.contracts.PayoutVault, data.period, data.index);
  const results = widget.querySelector("[data-verify-results]");
  results.hidden = false;
  out("leaf").textContent = leaf;
  out("computed").textContent = root;
  const period = { period: data.period };
  if (terms.anchoredAt === 0n) {
    out("anchored").textContent = "—";
    verdict(out("result"), widget, false);
    out("tx").textContent = "—";
    out("paid").textContent = say(widget, paid ? "paid" : "not-paid");
    announce(widget, say(widget, "not-anchored", period), "pending");
    return;
  }
  out("anchored").textContent = terms.root;
  const match = terms.root === root;
  verdict(out("result"), widget, match);
  out("tx").textContent = await anchorTx(widget, url, facts.contracts.PeriodAnchor);
  const paidText = say(widget, paid ? "paid" : "not-paid");
  out("paid").textContent = paidText;
  out("paid").dataset.state = paid ? "paid" : "unpaid";
  const sentence = say(widget, match ? "root-match" : "root-mismatch", period);
  announce(widget, `${sentence} ${paidText}`, match ? "match" : "mismatch");
}

async function anchorTx(widget, url, anchor) {
  const tx = widget.dataset.anchorTx;
  if (!tx) return say(widget, "no-tx");
  const receipt = await receiptOf(url, tx);
  if (!receipt) return say(widget, "tx-missing");
  if (receipt.status !== "0x1") return say(widget, "tx-failed");
  const block = BigInt(receipt.blockNumber).toString();
  const toAnchor = (receipt.to || "").toLowerCase() === anchor.toLowerCase();
  return say(widget, toAnchor ? "tx-ok" : "tx-other", { block });
}

function copyButtons() {
  for (const button of document.querySelectorAll("[data-copy]")) {
    const label = button.textContent;
    button.addEventListener("click", async () => {
      const text = document.getElementById(button.dataset.copy).textContent;
      try {
        await navigator.clipboard.writeText(text);
      } catch {
        // No clipboard permission: select the text so Ctrl+C copies it.
        const range = document.createRange();
        range.selectNodeContents(document.getElementById(button.dataset.copy));
        getSelection().removeAllRanges();
        getSelection().addRange(range);
        return;
      }
      button.textContent = button.dataset.copied;
      setTimeout(() => {
        button.textContent = label;
      }, 2000);
    });
  }
}

const CHECKS = { placement: checkPlacement, payout: checkPayout };

function start() {
  for (const widget of document.querySelectorAll("[data-verify]")) {
    const check = CHECKS[widget.dataset.verify];
    const button = widget.querySelector("[data-verify-run]");
    button?.addEventListener("click", () => run(widget, check));
    // The placement is checked as the page opens; a statement line when asked to.
    if (widget.dataset.verify === "placement") run(widget, check);
  }
  copyButtons();
}

start();
