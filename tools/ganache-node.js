#!/usr/bin/env node
// The managed chain of `lineage run`: Ganache 7 with its LevelDB under the data folder, behind a
// write-through read cache, started without secrets on the command line.
//
//   node tools/ganache-node.js --db DIR --secret FILE [--host H] [--port N] [--chain-id N]
//                              [--block-gas-limit N] [--cache-mb N]
//
// Why not the `ganache` CLI:
//  * Speed. Ganache reads every trie node from LevelDB through libuv's thread pool, one awaited
//    read at a time; on this 2-core machine the hand-offs left the EVM idle half the time and a
//    300-placement `placeBatch` took ~2 s. Serving reads of recently written or read nodes from
//    memory halves that (bench/ganache_cache.py measures both). Writes still go to LevelDB
//    first-hand (write-through), so the database on disk is exactly what Ganache wrote.
//  * Secrets. The CLI takes the wallet mnemonic as an argument, where `ps` shows it to every
//    user. This reads it from the 0600 secret file instead.
//
// SIGINT and SIGTERM close the server and the database cleanly, then exit 0.
"use strict";

const fs = require("fs");
const path = require("path");
const util = require("util");

const ROOT = path.resolve(__dirname, "..");
const GANACHE = path.join(ROOT, "node_modules", "ganache");

function fromGanache(name) {
  // leveldown and abstract-leveldown are Ganache's own (nested) dependencies.
  return require(require.resolve(name, { paths: [GANACHE] }));
}

function parseArgs(argv) {
  const options = {
    host: "127.0.0.1",
    port: 8545,
    chainId: 1337,
    blockGasLimit: 30000000,
    cacheMb: 256,
    db: null,
    secret: null,
  };
  const names = {
    "--host": ["host", String],
    "--port": ["port", Number],
    "--chain-id": ["chainId", Number],
    "--block-gas-limit": ["blockGasLimit", Number],
    "--cache-mb": ["cacheMb", Number],
    "--db": ["db", String],
    "--secret": ["secret", String],
  };
  for (let i = 0; i < argv.length; i += 2) {
    const spec = names[argv[i]];
    if (!spec || i + 1 >= argv.length) fail(`unknown or incomplete option ${argv[i]}`);
    const value = spec[1](argv[i + 1]);
    if (spec[1] === Number && !(Number.isInteger(value) && value >= 0)) {
      fail(`${argv[i]} needs a non-negative integer, got ${argv[i + 1]}`);
    }
    options[spec[0]] = value;
  }
  if (!options.db) fail("--db DIR is required");
  if (!options.secret) fail("--secret FILE is required");
  return options;
}

function fail(message) {
  process.stderr.write(`ganache-node: ${message}\n`);
  process.exit(2);
}

function readMnemonic(file) {
  let parsed;
  try {
    parsed = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    fail(`cannot read the chain secret ${file}: ${error.message}`);
  }
  if (typeof parsed.mnemonic !== "string" || parsed.mnemonic.split(" ").length < 12) {
    fail(`${file} holds no mnemonic`);
  }
  return parsed.mnemonic;
}

// LevelDOWN with a cache of values in front of its reads. Every write goes to LevelDB (and
// updates the cache at the same moment, so a read issued after a write sees it, as LevelDB
// itself guarantees). Iterators read LevelDB directly.
//
// The cache approximates least-recently-used with two generations of Maps: entries are added
// to the young one; a hit in the old one is copied into the young one; when the young one
// holds half the budget it becomes the old one and the previous old one is dropped whole.
// Every operation is O(1). (Evicting the oldest entry of one Map through `keys().next()` is
// not: V8 leaves deleted entries as holes that each iteration skips, and with 800,000 entries
// an eviction cost ~60 us; at 100,000 distributors that made a payout batch 6x slower.)
function makeCachedLevelDown() {
  const LevelDOWN = fromGanache("leveldown");
  const { AbstractLevelDOWN } = fromGanache("abstract-leveldown");
  const ENTRY_OVERHEAD = 96; // Map entry, key string and Buffer object, roughly

  function CachedLevelDOWN(location, maxBytes) {
    LevelDOWN.call(this, location);
    this.young = new Map();
    this.old = new Map();
    this.youngBytes = 0;
    this.maxBytes = maxBytes;
  }
  util.inherits(CachedLevelDOWN, LevelDOWN);

  const cacheKey = (key) => (Buffer.isBuffer(key) ? key.toString("latin1") : `s${key}`);
  const asBuffer = (value) => (Buffer.isBuffer(value) ? value : Buffer.from(String(value)));
  const shaped = (value, options) => (options.asBuffer === false ? value.toString() : value);
  const size = (key, value) => value.length + key.length + ENTRY_OVERHEAD;

  CachedLevelDOWN.prototype._lookup = function (key) {
    const young = this.young.get(key);
    if (young !== undefined) return young;
    const old = this.old.get(key);
    if (old !== undefined) this._remember(key, old);
    return old;
  };
  CachedLevelDOWN.prototype._forget = function (key) {
    const young = this.young.get(key);
    if (young !== undefined) {
      this.young.delete(key);
      this.youngBytes -= size(key, young);
    }
    this.old.delete(key);
  };
  CachedLevelDOWN.prototype._remember = function (key, value) {
    if (this.maxBytes === 0) return;
    const young = this.young.get(key);
    if (young !== undefined) this.youngBytes -= size(key, young);
    this.old.delete(key); // a newer value may be written: never leave a stale one behind
    this.young.set(key, value);
    this.youngBytes += size(key, value);
    if (this.youngBytes * 2 > this.maxBytes) {
      this.old = this.young;
      this.young = new Map();
      this.youngBytes = 0;
    }
  };
  CachedLevelDOWN.prototype._get = function (key, options, callback) {
    const slot = cacheKey(key);
    const hit = this._lookup(slot);
    if (hit !== undefined) {
      process.nextTick(callback, null, shaped(hit, options));
      return;
    }
    LevelDOWN.prototype._get.call(this, key, { ...options, asBuffer: true }, (error, value) => {
      if (error) return callback(error);
      this._remember(slot, value);
      callback(null, shaped(value, options));
    });
  };
  CachedLevelDOWN.prototype._getMany = function (keys, options, callback) {
    const reads = keys.map(
      (key) =>
        new Promise((resolve, reject) =>
          this._get(key, options, (error, value) => {
            if (error && !/NotFound/i.test(error.message)) reject(error);
            else resolve(error ? undefined : value);
          }),
        ),
    );
    Promise.all(reads).then((values) => callback(null, values), callback);
  };
  CachedLevelDOWN.prototype._put = function (key, value, options, callback) {
    this._remember(cacheKey(key), asBuffer(value));
    LevelDOWN.prototype._put.call(this, key, value, options, callback);
  };
  CachedLevelDOWN.prototype._del = function (key, options, callback) {
    this._forget(cacheKey(key));
    LevelDOWN.prototype._del.call(this, key, options, callback);
  };
  CachedLevelDOWN.prototype._batch = function (operations, options, callback) {
    for (const op of operations) {
      if (op.type === "put") this._remember(cacheKey(op.key), asBuffer(op.value));
      else this._forget(cacheKey(op.key));
    }
    LevelDOWN.prototype._batch.call(this, operations, options, callback);
  };
  CachedLevelDOWN.prototype._clear = function (options, callback) {
    this.young = new Map();
    this.old = new Map();
    this.youngBytes = 0;
    LevelDOWN.prototype._clear.call(this, options, callback);
  };
  // LevelDOWN's own chained batch writes past `_batch`; the generic one goes through it.
  CachedLevelDOWN.prototype._chainedBatch = AbstractLevelDOWN.prototype._chainedBatch;
  return CachedLevelDOWN;
}

// Ganache listens to every EVM step of every mined transaction for two conveniences: printing
// Hardhat-style `console.log` calls from contracts, and recording the preimage of every
// SSTORE key for `debug_storageRangeAt`. Any step listener makes the EVM build an event object
// per opcode, which is a large share of a payBatch's time. Lineage uses neither, so those two
// listeners are not registered. Tracing (`debug_traceTransaction`) and gas estimation add
// their own step listeners, which are kept. LINEAGE_CHAIN_STEP_EVENTS=1 keeps all of them.
function dropConvenienceStepListeners() {
  const { EventEmitter } = require("events");
  const addListener = EventEmitter.prototype.on;
  const convenience = (listener) => {
    const source = Function.prototype.toString.call(listener);
    if (source.includes("TraceStorageMap")) return false;
    const consoleLog = source.includes("ganache:vm:tx:console.log");
    const keyPreimages = source.includes('"SSTORE"===') && source.includes("hashedKey");
    return consoleLog || keyPreimages;
  };
  EventEmitter.prototype.on = function (event, listener) {
    if (event === "step" && typeof listener === "function" && convenience(listener)) {
      return this;
    }
    return addListener.call(this, event, listener);
  };
  EventEmitter.prototype.addListener = EventEmitter.prototype.on;
}

function main() {
  const options = parseArgs(process.argv.slice(2));
  const mnemonic = readMnemonic(options.secret);
  fs.mkdirSync(options.db, { recursive: true });
  if (process.env.LINEAGE_CHAIN_STEP_EVENTS !== "1") dropConvenienceStepListeners();
  const ganache = require(GANACHE);
  const CachedLevelDOWN = makeCachedLevelDown();
  const server = ganache.server({
    chain: { hardfork: "shanghai", chainId: options.chainId, networkId: options.chainId },
    wallet: { mnemonic, totalAccounts: 10 },
    miner: { blockGasLimit: options.blockGasLimit },
    database: { db: new CachedLevelDOWN(options.db, options.cacheMb * 1024 * 1024) },
    logging: { quiet: true },
  });

  let closing = false;
  const close = (signal) => {
    if (closing) return;
    closing = true;
    process.stdout.write(`ganache-node: ${signal}, closing the database\n`);
    const force = setTimeout(() => process.exit(1), 15000);
    force.unref();
    server.close().then(
      () => process.exit(0),
      (error) => {
        process.stderr.write(`ganache-node: close failed: ${error.message}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => close("SIGINT"));
  process.on("SIGTERM", () => close("SIGTERM"));

  server.listen(options.port, options.host, (error) => {
    if (error) {
      process.stderr.write(`ganache-node: cannot listen on ${options.host}:${options.port}: ${error.message}\n`);
      process.exit(1);
    }
    process.stdout.write(
      `ganache-node: chain ${options.chainId} on http://${options.host}:${options.port}, ` +
        `database ${options.db}, read cache ${options.cacheMb} MB\n`,
    );
  });
}

main();
