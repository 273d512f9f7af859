// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IVerifier} from "../IVerifier.sol";
import {CheckpointHeader} from "../CheckpointLib.sol";
import {KeccakTranscript} from "./KeccakTranscript.sol";
import {KoalaBear} from "./KoalaBear.sol";
import {EpochStatement} from "./EpochStatement.sol";
import {EpochVerifierParams} from "./generated/EpochVerifierParams.sol";

/// @notice The generated out-of-domain constraint evaluation (`generated/EpochConstraints.sol`).
interface IEpochConstraints {
    function fold(bytes calldata input) external view returns (uint256[8] memory acc);
}

/// @title EpochVerifier
/// @notice Verifies a Plonky3 0.9 epoch proof (the `TransitionAir` under the Keccak/EVM STARK
///         configuration: KoalaBear, degree-8 extension, keccak Merkle trees, FRI with blowup 8,
///         arity up to 8, 55 queries, 20-bit query proof of work) exactly as
///         `p3_uni_stark::verify` does, split into transactions that each stay within the
///         2^24 gas and 128 KB calldata caps:
///         1. `begin` replays the Fiat-Shamir transcript (domain-separation seeds included),
///            checks the out-of-domain identity `folded constraints(ζ) = Q(ζ)·Z_H(ζ)` and the
///            query proof of work, and commits to a session state (challenges, query indices,
///            the query-independent parts of the DEEP quotient) by its hash;
///         2. `verifyQueries` checks a batch of FRI queries against that state: Merkle
///            multiproofs of the trace, quotient and commit-phase trees, the DEEP quotient at
///            the query point, folding down to the final polynomial;
///         3. `verify` (called by the rollup, `proof = abi.encode(session)`) accepts once all
///            55 queries of a session for these public values are verified, and frees the
///            session's storage when the transaction comes from the session's owner.
///         The calldata is produced by `vouch_prover::evm::calldata` (layouts documented there).
/// @dev Extension elements live in memory as 4 words of two 80-bit lanes (see "extension
///      arithmetic" below); a product is 16 `mul`s by Kronecker substitution. Field
///      elements from the proof arrive as Plonky3 serializes them (Montgomery `v·2^32 mod p`,
///      4 bytes little-endian) so that the transcript and the Merkle leaves hash calldata as is.
contract EpochVerifier is IVerifier {
    using KeccakTranscript for KeccakTranscript.Transcript;

    uint256 internal constant P = 0x7f000001;
    /// `2^-32 mod p`: Montgomery form to canonical.
    uint256 internal constant R_INV = 0x3f010000;
    uint256 internal constant INV2 = 1065353217;
    uint256 internal constant INV3 = 710235478;

    uint256 internal constant WIDTH = 531;
    /// Trace values at ζ and ζω.
    uint256 internal constant TRACE_OPENED = 2 * WIDTH;
    uint256 internal constant NUM_PV = 66; // EpochStatement.NUM_PUBLIC_VALUES
    uint256 internal constant OPENED = TRACE_OPENED + 16;
    uint256 internal constant NUM_QUERIES = 55;
    uint64 internal constant ALL_QUERIES = uint64((1 << 55) - 1);
    /// Words of the session state holding the query indices (8 per word).
    uint256 internal constant INDEX_WORDS = (NUM_QUERIES + 7) / 8;
    uint256 internal constant POW_BITS = 20;
    uint256 internal constant LOG_BLOWUP = 3;
    uint256 internal constant LOG_FINAL = 8;
    uint256 internal constant FINAL_LEN = 32;
    uint256 internal constant ROW_BYTES = WIDTH * 4 + 16 * 4;
    uint256 internal constant STARK_SEED_BYTES = 268;
    uint256 internal constant PCS_SEED_BYTES = 236;

    // Two-adic generators g_b (b = 0..24), 8 per word, g_0 in the low 32 bits.
    uint256 internal constant G0 = 0x29b75a805c4a5b990a28f03108dbd69c6832fe4a7e0100027f00000000000001;
    uint256 internal constant G1 = 0x45a60e613e687d4d303964b2768fc6fa7744959c334d48c727ad539b17668b8a;
    uint256 internal constant G2 = 0x68e7dd49205d63c3484ef19b514ddcad143ef8996c4a8a45163bd4996e2f4d7a;
    uint256 internal constant G3 = 0x6ac49f88;
    // Their inverses.
    uint256 internal constant GI0 = 0x7de967531af4b31e6bca4999572031df67b1c9b100feffff7f00000000000001;
    uint256 internal constant GI1 = 0x61765dd47d084d12603b6d656b62140044c423b2274e1d351c76ef4661ca8d80;
    uint256 internal constant GI2 = 0x68fa5cf5447eb51e70ba6fa861c3ac6b5cdfb3c67c478de55a0e07e154fea03d;
    uint256 internal constant GI3 = 0x6b1073c7;
    // g_3^-j for j = 0..7.
    uint256 internal constant G3_INV_POWERS = 0x6832fe4a7e010002174e36507f00000016cd01b700feffff67b1c9b100000001;

    struct Session {
        bytes32 stateHash;
        address owner;
        uint64 done;
    }

    IEpochConstraints public immutable constraints;
    mapping(bytes32 => Session) public sessions;

    event SessionStarted(bytes32 indexed session, address indexed owner, bytes32 publicValuesHash, bytes state);
    event QueriesVerified(bytes32 indexed session, uint64 done);

    error BadShape(string what);
    error NotCanonical(uint256 value);
    error UnknownSeeds(uint256 degreeBits);
    error OutOfDomainCheckFailed();
    error ProofOfWorkFailed();
    error UnknownSession(bytes32 session);
    /// @notice Only the session's owner sends its query batches (nobody can front-run them).
    error NotSessionOwner(bytes32 session, address caller);
    error StateMismatch(bytes32 session);
    error QueryAlreadyVerified(uint256 position);
    error MerkleMismatch(string tree);
    error DeepPointCollision();
    error FinalPolynomialMismatch(uint256 position);

    constructor(IEpochConstraints constraints_) {
        constraints = constraints_;
    }

    // ================================================================ begin

    struct Begin {
        uint256 db;
        uint256 rounds;
        uint256 opened; // calldata offset of the opened values
        uint256 finalPoly; // calldata offset of the final polynomial
        uint256 pow; // canonical query PoW witness
        uint256 seeds; // calldata offset of the seeds
        uint256 friSeedLen;
        uint256 input; // memory: the constraint evaluator's input (BE canonical)
        uint256 packed; // memory: the OPENED values, packed canonical
        uint256[NUM_PV] pv;
        uint256[] indices;
    }

    /// @notice Starts verifying an epoch proof (`proof` from `vouch_prover::evm::calldata`) of
    ///         the statement `publicValues` (the rollup's ABI-encoded `EpochPublicValues`) over
    ///         `headers`. Returns the session id `keccak256(sender ‖ keccak256(publicValues) ‖ traceRoot)`.
    function begin(bytes calldata publicValues, CheckpointHeader[] calldata headers, bytes calldata proof)
        external
        returns (bytes32 session)
    {
        Begin memory b;
        b.pv = EpochStatement.publicValues(publicValues, headers);
        _parseBegin(b, proof);
        bytes memory state = _replay(b, proof, keccak256(publicValues));
        session = keccak256(abi.encode(msg.sender, keccak256(publicValues), bytes32(proof[2:34])));
        sessions[session] = Session({stateHash: keccak256(state), owner: msg.sender, done: 0});
        emit SessionStarted(session, msg.sender, keccak256(publicValues), state);
    }

    function _parseBegin(Begin memory b, bytes calldata proof) private pure {
        if (proof.length < 66) revert BadShape("proof header");
        b.db = uint8(proof[0]);
        b.rounds = uint8(proof[1]);
        if (b.db < 6 || b.db > 21) revert BadShape("degree bits");
        if (b.rounds != _rounds(b.db)) revert BadShape("rounds");
        uint256 opened;
        assembly ("memory-safe") {
            opened := add(proof.offset, 66)
        }
        b.opened = opened + 32 * b.rounds;
        b.finalPoly = b.opened + 32 * OPENED;
        uint256 powAt = b.finalPoly + 32 * FINAL_LEN;
        b.seeds = powAt + 4;
        uint256 end;
        assembly ("memory-safe") {
            end := add(proof.offset, proof.length)
        }
        if (end < b.seeds + STARK_SEED_BYTES + PCS_SEED_BYTES) revert BadShape("proof length");
        b.friSeedLen = end - b.seeds - STARK_SEED_BYTES - PCS_SEED_BYTES;
        bytes32 seedHash;
        uint256 seeds = b.seeds;
        uint256 len = end - seeds;
        assembly ("memory-safe") {
            let m := mload(0x40)
            calldatacopy(m, seeds, len)
            seedHash := keccak256(m, len)
        }
        if (seedHash != EpochVerifierParams.seedHash(b.db)) revert UnknownSeeds(b.db);
        b.pow = _montToCanonical(_le32(powAt));
    }

    function _replay(Begin memory b, bytes calldata proof, bytes32 pvHash) private view returns (bytes memory state) {
        KeccakTranscript.Transcript memory t = KeccakTranscript.init(32 + PCS_SEED_BYTES + 32 * OPENED);
        t.observeCalldata(b.seeds, STARK_SEED_BYTES);
        t.observeDigest(bytes32(proof[2:34]));
        for (uint256 i; i < NUM_PV; i++) {
            t.observeField(b.pv[i]);
        }
        uint256 alpha = _sample(t, _alloc(256));
        t.observeDigest(bytes32(proof[34:66]));
        uint256 zeta = _sample(t, _alloc(256));
        t.observeCalldata(b.seeds + STARK_SEED_BYTES, PCS_SEED_BYTES);
        // Canonical check and conversion of the claims, then absorb them as sent.
        _convertOpened(b);
        t.observeCalldata(b.opened, 32 * OPENED);
        uint256 friAlpha = _sample(t, _alloc(256));
        t.observeCalldata(b.seeds + STARK_SEED_BYTES + PCS_SEED_BYTES, b.friSeedLen);
        // Round r's beta at betas + 256·r (sampled as 8 words, kept as an element in place).
        uint256 betas = _alloc(256 * b.rounds);
        for (uint256 r; r < b.rounds; r++) {
            t.observeDigest(bytes32(proof[66 + 32 * r:98 + 32 * r]));
            _sample(t, betas + 256 * r);
        }
        // (A non-canonical final polynomial is rejected by `_writeTail`.)
        t.observeCalldata(b.finalPoly, 32 * FINAL_LEN);
        if (!t.checkWitness(POW_BITS, b.pow)) revert ProofOfWorkFailed();
        uint256 h = b.db + LOG_BLOWUP;
        b.indices = new uint256[](NUM_QUERIES);
        for (uint256 q; q < NUM_QUERIES; q++) {
            b.indices[q] = t.sampleBits(h);
        }
        _outOfDomain(b, alpha, zeta);
        state = _state(b, proof, pvHash, zeta, friAlpha, betas);
    }

    /// Samples an extension element as 8 words at `buf` (256 bytes) and turns it into an
    /// element in place.
    function _sample(KeccakTranscript.Transcript memory t, uint256 buf) private pure returns (uint256) {
        t.sampleExt(buf);
        KoalaBear.extFrom8(buf);
        return buf;
    }

    // ================================================================ out-of-domain check

    function _outOfDomain(Begin memory b, uint256 alpha, uint256 zeta) private view {
        // ζ^N, Z_H(ζ) = ζ^N - 1; reject ζ^N = 1.
        uint256 zn = KoalaBear.extNew();
        KoalaBear.extCopy(zn, zeta);
        for (uint256 i; i < b.db; i++) {
            KoalaBear.extMul(zn, zn, zn);
        }
        uint256 zh = KoalaBear.extNew();
        KoalaBear.extSubBase(zh, zn, 1);
        if (KoalaBear.extIsZero(zh)) revert BadShape("zeta in the trace domain");
        _writeSelectors(b, zeta, zh, alpha);
        uint256[8] memory acc = constraints.fold(_bytesAt(b.input, 32 * (TRACE_OPENED + 4) + 4 * NUM_PV));
        uint256 got;
        assembly ("memory-safe") {
            got := acc
        }
        KoalaBear.extFrom8(got);
        if (!KoalaBear.extEq(got, _quotientTimesZh(b, zn, zh))) revert OutOfDomainCheckFailed();
    }

    /// Completes the evaluator input: the selectors at ζ over the trace domain (not
    /// normalized, as Plonky3), the constraint-folding challenge and the public values.
    function _writeSelectors(Begin memory b, uint256 zeta, uint256 zh, uint256 alpha) private pure {
        uint256 dFirst = KoalaBear.extNew();
        KoalaBear.extSubBase(dFirst, zeta, 1);
        uint256 dLast = KoalaBear.extNew();
        KoalaBear.extSubBase(dLast, zeta, _gInv(b.db));
        // 1/(ζ - 1) and 1/(ζ - ω^-1) with one inversion.
        uint256 inv = KoalaBear.extNew();
        KoalaBear.extMul(inv, dFirst, dLast);
        KoalaBear.extInv(inv, inv);
        uint256 sel = KoalaBear.extNew();
        uint256 input = b.input;
        KoalaBear.extMul(sel, zh, dLast);
        KoalaBear.extMul(sel, sel, inv);
        _storeWord(input + 32 * TRACE_OPENED, KoalaBear.extToPacked(sel)); // is_first_row = Z_H / (ζ - 1)
        KoalaBear.extMul(sel, zh, dFirst);
        KoalaBear.extMul(sel, sel, inv);
        _storeWord(input + 32 * (TRACE_OPENED + 1), KoalaBear.extToPacked(sel)); // is_last_row = Z_H / (ζ - ω^-1)
        _storeWord(input + 32 * (TRACE_OPENED + 2), KoalaBear.extToPacked(dLast)); // is_transition = ζ - ω^-1
        _storeWord(input + 32 * (TRACE_OPENED + 3), KoalaBear.extToPacked(alpha));
        uint256 pvAt = input + 32 * (TRACE_OPENED + 4);
        for (uint256 i; i < NUM_PV; i++) {
            uint256 v = b.pv[i];
            assembly ("memory-safe") {
                let at := add(pvAt, mul(i, 4))
                mstore(at, or(and(mload(at), not(shl(224, 0xffffffff))), shl(224, v)))
            }
        }
    }

    /// `(zp_0·Q_0 + zp_1·Q_1)·Z_H(ζ)` with `u = (ζ/3)^N`, `zp_0 = (u+1)/2`, `zp_1 = (1-u)/2`,
    /// the quotient chunk `Q_i = Σ_k X^k · q_{i,k}` over its 8 claimed values after the trace's 2·WIDTH.
    function _quotientTimesZh(Begin memory b, uint256 zn, uint256 zh) private pure returns (uint256 out) {
        uint256 u = KoalaBear.extNew();
        KoalaBear.extMulBase(u, zn, KoalaBear.pow(INV3, 1 << b.db));
        uint256 zp0 = KoalaBear.extNew();
        KoalaBear.extSubBase(zp0, u, P - 1);
        KoalaBear.extMulBase(zp0, zp0, INV2);
        uint256 zp1 = KoalaBear.extNew();
        KoalaBear.extSetOne(zp1);
        KoalaBear.extSub(zp1, zp1, u); // lanes < 2p
        KoalaBear.extMulBase(zp1, zp1, INV2);
        uint256 x = KoalaBear.extNew();
        _storeWord(x, 1 << 80); // X
        out = KoalaBear.extNew();
        KoalaBear.extMul(out, zp0, _hornerPacked(b.packed, TRACE_OPENED, 8, x));
        uint256 tmp = KoalaBear.extNew();
        KoalaBear.extMul(tmp, zp1, _hornerPacked(b.packed, TRACE_OPENED + 8, 8, x));
        KoalaBear.extAdd(out, out, tmp); // lanes < 2p
        KoalaBear.extMul(out, out, zh);
    }

    // ================================================================ session state

    function _state(Begin memory b, bytes calldata proof, bytes32 pvHash, uint256 zeta, uint256 friAlpha, uint256 betas)
        private
        pure
        returns (bytes memory state)
    {
        uint256 words = 12 + 2 * b.rounds + FINAL_LEN + INDEX_WORDS;
        state = new bytes(32 * words);
        uint256 at;
        assembly ("memory-safe") {
            at := add(state, 32)
        }
        _put(at, 0, uint256(pvHash));
        _put(at, 1, uint256(bytes32(proof[2:34])));
        _put(at, 2, uint256(bytes32(proof[34:66])));
        _put(at, 3, b.db);
        _put(at, 4, b.rounds);
        _put(at, 5, KoalaBear.extToPacked(zeta));
        _put(at, 6, KoalaBear.extToPacked(friAlpha));
        _writeDeep(b, at, friAlpha);
        for (uint256 r; r < b.rounds; r++) {
            _put(at, 12 + r, uint256(bytes32(proof[66 + 32 * r:98 + 32 * r])));
            _put(at, 12 + b.rounds + r, KoalaBear.extToPacked(betas + 256 * r));
        }
        _writeTail(b, at + 32 * (12 + 2 * b.rounds));
    }

    /// A, B, C (Horner in friAlpha over the trace at ζ and ζω and the 16 quotient values), α^W, α^2W.
    function _writeDeep(Begin memory b, uint256 at, uint256 friAlpha) private pure {
        _put(at, 7, KoalaBear.extToPacked(_hornerPacked(b.input, 0, WIDTH, friAlpha)));
        _put(at, 8, KoalaBear.extToPacked(_hornerPacked(b.input, WIDTH, WIDTH, friAlpha)));
        _put(at, 9, KoalaBear.extToPacked(_hornerPacked(b.packed, TRACE_OPENED, 16, friAlpha)));
        uint256 aW = KoalaBear.extNew();
        KoalaBear.extSetOne(aW);
        uint256 base = KoalaBear.extNew();
        KoalaBear.extCopy(base, friAlpha);
        for (uint256 e = WIDTH; e != 0; e >>= 1) {
            if (e & 1 == 1) KoalaBear.extMul(aW, aW, base);
            KoalaBear.extMul(base, base, base);
        }
        _put(at, 10, KoalaBear.extToPacked(aW));
        KoalaBear.extMul(aW, aW, aW);
        _put(at, 11, KoalaBear.extToPacked(aW));
    }

    /// The final polynomial and the query indices.
    function _writeTail(Begin memory b, uint256 fp) private pure {
        for (uint256 i; i < FINAL_LEN; i++) {
            _storeWord(fp + 32 * i, _montToPacked(_word(b.finalPoly + 32 * i)));
        }
        uint256[] memory idx = b.indices;
        uint256 ix = fp + 32 * FINAL_LEN;
        for (uint256 q; q < NUM_QUERIES; q++) {
            uint256 v = idx[q];
            assembly ("memory-safe") {
                let p := add(ix, mul(q, 4))
                mstore(p, or(and(mload(p), not(shl(224, 0xffffffff))), shl(224, v)))
            }
        }
    }

    // ================================================================ queries

    struct Q {
        uint256 db;
        uint256 h;
        uint256 rounds;
        uint256 state; // calldata offset of the state
        uint256 n; // queries in the batch
        uint256 batch; // calldata offset of the batch
        uint256 rowsAt;
        uint256 zeta; // memory: ζ, ζω, friAlpha, A, B, C, α^W, α^2W (elements, 128 bytes each)
        uint256 powers; // memory: packed friAlpha^i, 3 words each
        uint256 finalPoly; // memory: the 32 coefficients as elements
        uint256 betas; // memory: β_r, β_r², β_r⁴ for round r at 384·r
        uint256 scratch; // memory: per-query temporaries (see `_query`)
        uint256 traceNodes; // memory: per query (index, leaf digest), 64 bytes (see `_multiproof`)
        uint256 quotientNodes; // memory: as `traceNodes`
        uint256 roundNodes; // memory: as `traceNodes`, query j of round r at 64·(r·n + j)
        uint256[] roundValues; // calldata offset of round r's sibling values
        uint256[] roundSiblings; // calldata offset of round r's Merkle siblings (after the count)
        uint256[] roundSiblingCount;
        uint256 traceSiblings;
        uint256 traceSiblingCount;
        uint256 quotientSiblings;
        uint256 quotientSiblingCount;
    }

    // Offsets of the batch constants from `Q.zeta`.
    uint256 internal constant K_ZETA_NEXT = 128;
    uint256 internal constant K_ALPHA = 256;
    uint256 internal constant K_A = 384;
    uint256 internal constant K_B = 512;
    uint256 internal constant K_C = 640;
    uint256 internal constant K_AW = 768;
    uint256 internal constant K_A2W = 896;
    // Offsets in `Q.scratch`: the current value, the group of a round (8 elements), its leaf
    // preimage (8 words), then temporaries.
    uint256 internal constant S_CUR = 0;
    uint256 internal constant S_GROUP = 128;
    uint256 internal constant S_LEAF = 1152;
    uint256 internal constant S_T0 = 1408;
    uint256 internal constant S_T1 = 1536;
    uint256 internal constant S_T2 = 1664;
    uint256 internal constant S_T3 = 1792;
    uint256 internal constant S_T4 = 1920;
    uint256 internal constant S_T5 = 2048;
    uint256 internal constant S_SIZE = 2176;

    /// @notice Verifies a batch of FRI queries of `session` (`state` as `begin` emitted it,
    ///         `batch` from `vouch_prover::evm::calldata`).
    function verifyQueries(bytes32 session, bytes calldata state, bytes calldata batch) external {
        Session storage s = sessions[session];
        if (s.owner == address(0)) revert UnknownSession(session);
        if (msg.sender != s.owner) revert NotSessionOwner(session, msg.sender);
        if (keccak256(state) != s.stateHash) revert StateMismatch(session);
        Q memory q;
        uint256 stateAt;
        uint256 batchAt;
        assembly ("memory-safe") {
            stateAt := state.offset
            batchAt := batch.offset
        }
        q.state = stateAt;
        q.batch = batchAt;
        q.db = _w(q.state, 3);
        q.rounds = _w(q.state, 4);
        q.h = q.db + LOG_BLOWUP;
        if (batch.length < 1) revert BadShape("batch");
        q.n = uint8(batch[0]);
        if (q.n == 0 || batch.length < 1 + q.n) revert BadShape("batch positions");
        uint64 mask;
        for (uint256 j; j < q.n; j++) {
            uint256 pos = uint8(batch[1 + j]);
            if (pos >= NUM_QUERIES || (j > 0 && pos <= uint8(batch[j]))) revert BadShape("batch positions");
            mask |= uint64(1 << pos);
        }
        uint64 done = s.done;
        if (done & mask != 0) revert QueryAlreadyVerified(0);
        _layout(q, batch.length);
        _loadState(q);
        _queries(q);
        s.done = done | mask;
        emit QueriesVerified(session, done | mask);
    }

    function _layout(Q memory q, uint256 batchLen) private pure {
        q.rowsAt = q.batch + 1 + q.n;
        uint256 at = q.rowsAt + q.n * ROW_BYTES;
        uint256 end = q.batch + batchLen;
        (q.traceSiblings, q.traceSiblingCount, at) = _siblings(at, end);
        (q.quotientSiblings, q.quotientSiblingCount, at) = _siblings(at, end);
        q.roundValues = new uint256[](q.rounds);
        q.roundSiblings = new uint256[](q.rounds);
        q.roundSiblingCount = new uint256[](q.rounds);
        for (uint256 r; r < q.rounds; r++) {
            uint256 k = _arity(q.db, r);
            q.roundValues[r] = at;
            at += q.n * ((1 << k) - 1) * 32;
            (q.roundSiblings[r], q.roundSiblingCount[r], at) = _siblings(at, end);
        }
        if (at != end) revert BadShape("batch length");
    }

    function _siblings(uint256 at, uint256 end) private pure returns (uint256 start, uint256 count, uint256 next) {
        if (at + 2 > end) revert BadShape("batch siblings");
        assembly ("memory-safe") {
            count := shr(240, calldataload(at))
        }
        start = at + 2;
        next = start + 32 * count;
        if (next > end) revert BadShape("batch siblings");
    }

    /// Unpacks the batch constants (the state words are canonical: `begin` wrote them and the
    /// state hash binds them), the powers of friAlpha and of each round's beta.
    function _loadState(Q memory q) private pure {
        uint256 k = _alloc(1024);
        q.zeta = k;
        KoalaBear.extFromPacked(k, _w(q.state, 5));
        KoalaBear.extMulBase(k + K_ZETA_NEXT, k, _g(q.db));
        for (uint256 i = 2; i < 8; i++) {
            KoalaBear.extFromPacked(k + 128 * i, _w(q.state, 4 + i));
        }
        q.finalPoly = _alloc(128 * FINAL_LEN);
        for (uint256 i; i < FINAL_LEN; i++) {
            KoalaBear.extFromPacked(q.finalPoly + 128 * i, _w(q.state, 12 + 2 * q.rounds + i));
        }
        q.betas = _alloc(384 * q.rounds);
        for (uint256 r; r < q.rounds; r++) {
            uint256 beta = q.betas + 384 * r;
            KoalaBear.extFromPacked(beta, _w(q.state, 12 + q.rounds + r));
            KoalaBear.extMul(beta + 128, beta, beta);
            KoalaBear.extMul(beta + 256, beta + 128, beta + 128);
        }
        q.scratch = _alloc(S_SIZE);
        q.powers = _alloc(96 * WIDTH);
        _powers(q.powers, k + K_ALPHA);
    }

    /// friAlpha^i, i < WIDTH, each as 3 words of 85-bit lanes (c0|c1|c2, c3|c4|c5, c6|c7), at
    /// `at`. The running power stays on the stack; each step is `_mul` by the element at
    /// `alpha` with 3·alpha (lanes < 2^33: the bounds of `_mul` hold) taken for the products
    /// that wrap past X^8 = 3. Uses 128 bytes past the free memory pointer.
    function _powers(uint256 at, uint256 alpha) private pure {
        assembly ("memory-safe") {
            let a3 := mload(0x40)
            mstore(a3, mul(3, mload(alpha)))
            mstore(add(a3, 32), mul(3, mload(add(alpha, 32))))
            mstore(add(a3, 64), mul(3, mload(add(alpha, 64))))
            mstore(add(a3, 96), mul(3, mload(add(alpha, 96))))
            let c0 := 1
            let c1 := 0
            let c2 := 0
            let c3 := 0
            for { let end := add(at, mul(96, WIDTH)) } lt(at, end) { at := add(at, 96) } {
                // c_{2I+1} sits at bit 80 of word I: shifting its lane by 5 puts it at bit 85.
                mstore(
                    at,
                    or(
                        or(and(c0, 0xffffffffffffffffffff), shl(5, and(c0, not(0xffffffffffffffffffff)))),
                        shl(170, and(c1, 0xffffffffffffffffffff))
                    )
                )
                mstore(
                    add(at, 32),
                    or(or(shr(80, c1), shl(85, and(c2, 0xffffffffffffffffffff))), shl(170, shr(80, c2)))
                )
                mstore(add(at, 64), or(and(c3, 0xffffffffffffffffffff), shl(5, and(c3, not(0xffffffffffffffffffff)))))
                let u0 :=
                    add(
                        add(mul(c0, mload(alpha)), mul(c1, mload(add(a3, 96)))),
                        add(mul(c2, mload(add(a3, 64))), mul(c3, mload(add(a3, 32))))
                    )
                let u1 :=
                    add(
                        add(mul(c0, mload(add(alpha, 32))), mul(c1, mload(alpha))),
                        add(mul(c2, mload(add(a3, 96))), mul(c3, mload(add(a3, 64))))
                    )
                let u2 :=
                    add(
                        add(mul(c0, mload(add(alpha, 64))), mul(c1, mload(add(alpha, 32)))),
                        add(mul(c2, mload(alpha)), mul(c3, mload(add(a3, 96))))
                    )
                let u3 :=
                    add(
                        add(mul(c0, mload(add(alpha, 96))), mul(c1, mload(add(alpha, 64)))),
                        add(mul(c2, mload(add(alpha, 32))), mul(c3, mload(alpha)))
                    )
                // Carry lane 160 of u_{S-1} into lane 0 of u_S, as in `_mul`.
                let v := add(u3, shr(160, u2))
                c3 := or(
                    mod(and(v, 0xffffffffffffffffffff), P),
                    shl(80, mod(and(shr(80, v), 0xffffffffffffffffffff), P))
                )
                v := add(u2, shr(160, u1))
                c2 := or(
                    mod(and(v, 0xffffffffffffffffffff), P),
                    shl(80, mod(and(shr(80, v), 0xffffffffffffffffffff), P))
                )
                v := add(u1, shr(160, u0))
                c1 := or(
                    mod(and(v, 0xffffffffffffffffffff), P),
                    shl(80, mod(and(shr(80, v), 0xffffffffffffffffffff), P))
                )
                v := add(u0, mul(3, shr(160, u3)))
                c0 := or(
                    mod(and(v, 0xffffffffffffffffffff), P),
                    shl(80, mod(and(shr(80, v), 0xffffffffffffffffffff), P))
                )
            }
        }
    }

    function _queries(Q memory q) private pure {
        // The walks sort and overwrite their node lists, so each tree has its own.
        q.traceNodes = _alloc(64 * q.n);
        q.quotientNodes = _alloc(64 * q.n);
        q.roundNodes = _alloc(64 * q.n * q.rounds);
        // Per query the DEEP quotient's numerator (128 bytes) and denominator (128 bytes).
        uint256 fracs = _alloc(256 * q.n);
        for (uint256 j; j < q.n; j++) {
            _open(q, j, fracs + 256 * j);
        }
        _divideAll(q, fracs);
        for (uint256 j; j < q.n; j++) {
            _query(q, j, fracs + 256 * j);
        }
        _multiproof(q.traceNodes, q.n, q.h, _w(q.state, 1), q.traceSiblings, q.traceSiblingCount, "trace");
        _multiproof(q.quotientNodes, q.n, q.h, _w(q.state, 2), q.quotientSiblings, q.quotientSiblingCount, "quotient");
        uint256 depth = q.h;
        for (uint256 r; r < q.rounds; r++) {
            depth -= _arity(q.db, r);
            _multiproof(
                q.roundNodes + 64 * q.n * r,
                q.n,
                depth,
                _w(q.state, 12 + r),
                q.roundSiblings[r],
                q.roundSiblingCount[r],
                "commit phase"
            );
        }
    }

    /// Query `j`'s leaves and its DEEP quotient as a fraction at `frac` (see `_queries`).
    function _open(Q memory q, uint256 j, uint256 frac) private pure {
        uint256 idx = _indexOf(q, _position(q, j));
        uint256 row = q.rowsAt + j * ROW_BYTES;
        _putNode(q.traceNodes, j, idx, _hashCalldata(row, 4 * WIDTH));
        _putNode(q.quotientNodes, j, idx, _hashCalldata(row + 4 * WIDTH, 64));
        _reducedOpening(q, row, idx, frac, frac + 128);
    }

    /// Turns each fraction into its numerator over its denominator with one inversion
    /// (Montgomery's trick): with prefix products `P_j = d_0···d_j`, walking down from
    /// `I = P_{n-1}^-1`, `d_j^-1 = I·P_{j-1}` and then `I ← I·d_j = P_{j-1}^-1`. The
    /// denominators are nonzero (`_reducedOpening`), so is every product.
    function _divideAll(Q memory q, uint256 fracs) private pure {
        uint256 n = q.n;
        uint256 prefix = _alloc(128 * n);
        KoalaBear.extCopy(prefix, fracs + 128);
        for (uint256 j = 1; j < n; j++) {
            KoalaBear.extMul(prefix + 128 * j, prefix + 128 * (j - 1), fracs + 256 * j + 128);
        }
        uint256 inv = q.scratch + S_T4;
        uint256 t = q.scratch + S_T5;
        KoalaBear.extInv(inv, prefix + 128 * (n - 1));
        for (uint256 j = n - 1; j > 0; j--) {
            uint256 frac = fracs + 256 * j;
            KoalaBear.extMul(t, inv, prefix + 128 * (j - 1));
            KoalaBear.extMul(inv, inv, frac + 128);
            KoalaBear.extMul(frac, frac, t);
        }
        KoalaBear.extMul(fracs, fracs, inv);
    }

    function _position(Q memory q, uint256 j) private pure returns (uint256 pos) {
        uint256 b = q.batch;
        assembly ("memory-safe") {
            pos := byte(0, calldataload(add(b, add(1, j))))
        }
    }

    /// Folds query `j` from its DEEP quotient at `value` and checks the final polynomial.
    function _query(Q memory q, uint256 j, uint256 value) private pure {
        uint256 pos = _position(q, j);
        uint256 cur = q.scratch + S_CUR;
        KoalaBear.extCopy(cur, value);
        // Folding.
        uint256 ix = _indexOf(q, pos);
        uint256 lh = q.h;
        for (uint256 r; r < q.rounds; r++) {
            uint256 k = _arity(q.db, r);
            bytes32 leaf = _group(q, j, r, ix & ((1 << k) - 1), 1 << k);
            ix >>= k;
            lh -= k;
            _putNode(q.roundNodes, r * q.n + j, ix, leaf);
            _foldGroup(q, r, k, KoalaBear.pow(_gInv(lh + k), _rev(ix, lh)));
        }
        // Final polynomial at x_f = g_lh^rev(ix).
        if (!_finalPolyAgrees(q.finalPoly, KoalaBear.pow(_g(lh), _rev(ix, lh)), cur)) {
            revert FinalPolynomialMismatch(pos);
        }
    }

    /// Whether `Σ_i fp_i · x^i` (Horner over the 32 coefficients) equals `cur`.
    function _finalPolyAgrees(uint256 fp, uint256 x, uint256 cur) private pure returns (bool ok) {
        assembly ("memory-safe") {
            let lane := 0xffffffffffffffffffff
            let e0 := 0
            let e1 := 0
            let e2 := 0
            let e3 := 0
            // Lanes stay canonical: e·x + fp_i < p² + p < 2^80 per lane before reducing.
            for { let f := add(fp, mul(128, 31)) } 1 { f := sub(f, 128) } {
                let v := add(mul(e0, x), mload(f))
                e0 := or(mod(and(v, lane), P), shl(80, mod(shr(80, v), P)))
                v := add(mul(e1, x), mload(add(f, 32)))
                e1 := or(mod(and(v, lane), P), shl(80, mod(shr(80, v), P)))
                v := add(mul(e2, x), mload(add(f, 64)))
                e2 := or(mod(and(v, lane), P), shl(80, mod(shr(80, v), P)))
                v := add(mul(e3, x), mload(add(f, 96)))
                e3 := or(mod(and(v, lane), P), shl(80, mod(shr(80, v), P)))
                if eq(f, fp) { break }
            }
            ok := and(
                and(eq(e0, mload(cur)), eq(e1, mload(add(cur, 32)))),
                and(eq(e2, mload(add(cur, 64))), eq(e3, mload(add(cur, 96))))
            )
        }
    }

    /// The group of round `r` for query `j` into the scratch group: its sibling values with
    /// the current value at `posInGroup`; returns its leaf digest.
    function _group(Q memory q, uint256 j, uint256 r, uint256 posInGroup, uint256 arity)
        private
        pure
        returns (bytes32 leaf)
    {
        uint256 s = q.scratch;
        uint256 sib = q.roundValues[r] + j * (arity - 1) * 32;
        // unchecked: offsets below the scratch size and the calldata length (`_layout`).
        unchecked {
            for (uint256 e; e < arity; e++) {
                uint256 slot = s + S_GROUP + 128 * e;
                if (e == posInGroup) {
                    KoalaBear.extCopy(slot, s + S_CUR);
                    _storeWord(s + S_LEAF + 32 * e, KoalaBear.extToMont(s + S_CUR));
                } else {
                    uint256 word = _word(sib);
                    _storeWord(s + S_LEAF + 32 * e, word);
                    KoalaBear.extFromPacked(slot, _montToPacked(word));
                    sib += 32;
                }
            }
        }
        assembly ("memory-safe") {
            leaf := keccak256(add(s, S_LEAF), shl(5, arity))
        }
    }

    function _indexOf(Q memory q, uint256 pos) private pure returns (uint256) {
        uint256 w = _w(q.state, 12 + 2 * q.rounds + FINAL_LEN + pos / 8);
        return (w >> (224 - 32 * (pos % 8))) & 0xffffffff;
    }

    /// The DEEP quotient at x = 3·g_H^rev(idx) into `out`:
    /// `[(A - S) + α^2W·(C - S_q)]/(ζ - x) + α^W·(B - S)/(ζω - x)` with `S`, `S_q` the
    /// opened row's sums in powers of friAlpha, as one fraction `num / den` (`num` lanes < 2p).
    function _reducedOpening(Q memory q, uint256 row, uint256 idx, uint256 num, uint256 den) private pure {
        uint256 x = mulmod(3, KoalaBear.pow(_g(q.h), _rev(idx, q.h)), P);
        uint256 k = q.zeta;
        uint256 s = q.scratch;
        uint256 d1 = s + S_T0;
        uint256 d2 = s + S_T1;
        KoalaBear.extSubBase(d1, k, x);
        KoalaBear.extSubBase(d2, k + K_ZETA_NEXT, x);
        if (KoalaBear.extIsZero(d1) || KoalaBear.extIsZero(d2)) revert DeepPointCollision();
        uint256 n1 = s + S_T2;
        uint256 t = s + S_T3;
        uint256 n2 = s + S_T4;
        // n1 = (A - S) + α^2W·(C - S_q), n2 = α^W·(B - S).
        _dot(t, q.powers, row + 4 * WIDTH, 16);
        KoalaBear.extSub(t, k + K_C, t); // lanes < 2p
        KoalaBear.extMul(n1, k + K_A2W, t);
        _dot(t, q.powers, row, WIDTH);
        KoalaBear.extSub(n2, k + K_B, t); // lanes < 2p
        KoalaBear.extMul(n2, k + K_AW, n2);
        KoalaBear.extSub(t, k + K_A, t);
        KoalaBear.extAdd(n1, n1, t); // lanes < 3p
        // num = n1·d2 + n2·d1, den = d1·d2.
        KoalaBear.extMul(n1, n1, d2);
        KoalaBear.extMul(n2, n2, d1);
        KoalaBear.extAdd(num, n1, n2); // lanes < 2p
        KoalaBear.extMul(den, d1, d2);
    }

    /// `Σ_i friAlpha^i · row_i` over `count` Montgomery values at calldata `row`, into `out`.
    /// Each power is 3 words of 85-bit lanes; a lane accumulates at most WIDTH products below
    /// 2^62, so below 2^71: no carries between lanes.
    function _dot(uint256 out, uint256 powers, uint256 row, uint256 count) private pure {
        assembly ("memory-safe") {
            let acc0 := 0
            let acc1 := 0
            let acc2 := 0
            let pw := powers
            // 8 values per calldata word; the last word is partial unless 8 divides `count`.
            // Full words add 4 products per accumulator update (fewer stack moves).
            for { let end := add(row, mul(count, 4)) } lt(row, end) { row := add(row, 32) } {
                let w := calldataload(row)
                w := or(
                    and(shr(8, w), 0x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff),
                    shl(8, and(w, 0x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff))
                )
                w := or(
                    and(shr(16, w), 0x0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff),
                    shl(16, and(w, 0x0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff))
                )
                let left := shr(2, sub(end, row))
                if lt(left, 8) {
                    for { let sh := 224 } left { left := sub(left, 1) } {
                        let v := and(shr(sh, w), 0xffffffff)
                        acc0 := add(acc0, mul(v, mload(pw)))
                        acc1 := add(acc1, mul(v, mload(add(pw, 32))))
                        acc2 := add(acc2, mul(v, mload(add(pw, 64))))
                        pw := add(pw, 96)
                        sh := sub(sh, 32)
                    }
                    break
                }
                {
                    let v0 := shr(224, w)
                    let v1 := and(shr(192, w), 0xffffffff)
                    let v2 := and(shr(160, w), 0xffffffff)
                    let v3 := and(shr(128, w), 0xffffffff)
                    acc0 := add(
                        acc0,
                        add(
                            add(mul(v0, mload(pw)), mul(v1, mload(add(pw, 96)))),
                            add(mul(v2, mload(add(pw, 192))), mul(v3, mload(add(pw, 288))))
                        )
                    )
                    acc1 := add(
                        acc1,
                        add(
                            add(mul(v0, mload(add(pw, 32))), mul(v1, mload(add(pw, 128)))),
                            add(mul(v2, mload(add(pw, 224))), mul(v3, mload(add(pw, 320))))
                        )
                    )
                    acc2 := add(
                        acc2,
                        add(
                            add(mul(v0, mload(add(pw, 64))), mul(v1, mload(add(pw, 160)))),
                            add(mul(v2, mload(add(pw, 256))), mul(v3, mload(add(pw, 352))))
                        )
                    )
                }
                pw := add(pw, 384)
                {
                    let v0 := and(shr(96, w), 0xffffffff)
                    let v1 := and(shr(64, w), 0xffffffff)
                    let v2 := and(shr(32, w), 0xffffffff)
                    let v3 := and(w, 0xffffffff)
                    acc0 := add(
                        acc0,
                        add(
                            add(mul(v0, mload(pw)), mul(v1, mload(add(pw, 96)))),
                            add(mul(v2, mload(add(pw, 192))), mul(v3, mload(add(pw, 288))))
                        )
                    )
                    acc1 := add(
                        acc1,
                        add(
                            add(mul(v0, mload(add(pw, 32))), mul(v1, mload(add(pw, 128)))),
                            add(mul(v2, mload(add(pw, 224))), mul(v3, mload(add(pw, 320))))
                        )
                    )
                    acc2 := add(
                        acc2,
                        add(
                            add(mul(v0, mload(add(pw, 64))), mul(v1, mload(add(pw, 160)))),
                            add(mul(v2, mload(add(pw, 256))), mul(v3, mload(add(pw, 352))))
                        )
                    )
                }
                pw := add(pw, 384)
            }
            // The row is in Montgomery form: each sum times 2^-32 is the canonical coefficient.
            let m85 := 0x1fffffffffffffffffffff
            mstore(out, or(mulmod(and(acc0, m85), R_INV, P), shl(80, mulmod(and(shr(85, acc0), m85), R_INV, P))))
            mstore(add(out, 32), or(mulmod(shr(170, acc0), R_INV, P), shl(80, mulmod(and(acc1, m85), R_INV, P))))
            mstore(
                add(out, 64),
                or(mulmod(and(shr(85, acc1), m85), R_INV, P), shl(80, mulmod(shr(170, acc1), R_INV, P)))
            )
            mstore(
                add(out, 96),
                or(mulmod(and(acc2, m85), R_INV, P), shl(80, mulmod(and(shr(85, acc2), m85), R_INV, P)))
            )
        }
    }

    /// Folds the scratch group of round `r` (`2^k` values at the points `s·g_k^rev(e)`,
    /// `sInv = s^-1`) at `β_r` into the current value: `k` steps of pairwise folds
    /// `lo + hi + β·(lo - hi)/x`, i.e. twice Plonky3's `(lo + hi)/2 + β·(lo - hi)/(2x)`. The
    /// fold is linear in the values, so the `2^k` this accumulates is divided out once at the end.
    function _foldGroup(Q memory q, uint256 r, uint256 k, uint256 sInv) private pure {
        uint256 s = q.scratch;
        uint256 group = s + S_GROUP;
        uint256 t = s + S_T0;
        uint256 bx = s + S_T1;
        // unchecked: offsets below the scratch size, k ≤ 3.
        unchecked {
            for (uint256 l; l < k; l++) {
                uint256 bits = k - l; // points of this step: s_l·g_bits^rev_bits(e)
                uint256 beta = q.betas + 384 * r + 128 * l; // β^(2^l)
                for (uint256 i; i < (uint256(1) << (bits - 1)); i++) {
                    // x^-1 = s_l^-1 · g_bits^-rev_{bits-1}(i)
                    uint256 e = _rev(i, bits - 1) << (3 - bits);
                    KoalaBear.extMulBase(bx, beta, mulmod(sInv, (G3_INV_POWERS >> (32 * e)) & 0xffffffff, P));
                    uint256 lo = group + 256 * i;
                    KoalaBear.extSub(t, lo, lo + 128); // lanes < 2p
                    KoalaBear.extMul(t, t, bx);
                    // group[i] = lo + hi + t, lanes < 3p, reduced. Slot i was read by pair ⌊i/2⌋ ≤ i.
                    assembly ("memory-safe") {
                        let lane := 0xffffffffffffffffffff
                        let dst := add(group, shl(7, i))
                        let v := add(add(mload(lo), mload(add(lo, 128))), mload(t))
                        mstore(dst, or(mod(and(v, lane), P), shl(80, mod(shr(80, v), P))))
                        v := add(add(mload(add(lo, 32)), mload(add(lo, 160))), mload(add(t, 32)))
                        mstore(add(dst, 32), or(mod(and(v, lane), P), shl(80, mod(shr(80, v), P))))
                        v := add(add(mload(add(lo, 64)), mload(add(lo, 192))), mload(add(t, 64)))
                        mstore(add(dst, 64), or(mod(and(v, lane), P), shl(80, mod(shr(80, v), P))))
                        v := add(add(mload(add(lo, 96)), mload(add(lo, 224))), mload(add(t, 96)))
                        mstore(add(dst, 96), or(mod(and(v, lane), P), shl(80, mod(shr(80, v), P))))
                    }
                }
                sInv = mulmod(sInv, sInv, P);
            }
        }
        KoalaBear.extMulBase(s + S_CUR, group, KoalaBear.pow(INV2, k));
    }

    /// Node `j` of a node list: (index, digest) at `nodes + 64·j`.
    function _putNode(uint256 nodes, uint256 j, uint256 idx, bytes32 digest) private pure {
        assembly ("memory-safe") {
            let at := add(nodes, shl(6, j))
            mstore(at, idx)
            mstore(add(at, 32), digest)
        }
    }

    /// Plonky3's `verify_multi_batch` for one tree over the `n` nodes at `nodes`: sorted unique
    /// leaves, level-major siblings. Sorts and overwrites the node list.
    function _multiproof(
        uint256 nodes,
        uint256 n,
        uint256 depth,
        uint256 root,
        uint256 siblings,
        uint256 count,
        string memory tree
    ) private pure {
        bool ok;
        assembly ("memory-safe") {
            function walk(base, len, bits, top, sib, sibCount) -> valid {
                // Insertion sort by index.
                for { let i := 1 } lt(i, len) { i := add(i, 1) } {
                    let at := add(base, shl(6, i))
                    let ki := mload(at)
                    let kl := mload(add(at, 32))
                    for {} gt(at, base) { at := sub(at, 64) } {
                        let prev := sub(at, 64)
                        if iszero(gt(mload(prev), ki)) { break }
                        mstore(at, mload(prev))
                        mstore(add(at, 32), mload(add(prev, 32)))
                    }
                    mstore(at, ki)
                    mstore(add(at, 32), kl)
                }
                // Range check and dedup: equal indices must carry equal leaves.
                let last := base // one past the last kept node
                for { let at := base } lt(at, add(base, shl(6, len))) { at := add(at, 64) } {
                    let ix := mload(at)
                    if shr(bits, ix) { leave }
                    let keep := 1
                    if gt(last, base) {
                        if eq(mload(sub(last, 64)), ix) {
                            if iszero(eq(mload(sub(last, 32)), mload(add(at, 32)))) { leave }
                            keep := 0
                        }
                    }
                    if keep {
                        mstore(last, ix)
                        mstore(add(last, 32), mload(add(at, 32)))
                        last := add(last, 64)
                    }
                }
                // Levels, in place: the parent of the base read so far is written at or
                // before the first of them. An even node pairs with its right neighbour when
                // present; otherwise the next sibling is its right (even) or left (odd) partner.
                let sibEnd := add(sib, shl(5, sibCount))
                for { let level := 0 } lt(level, bits) { level := add(level, 1) } {
                    let out := base
                    for { let at := base } lt(at, last) {} {
                        let ix := mload(at)
                        let next := add(at, 64)
                        let paired := 0
                        if iszero(and(ix, 1)) {
                            if lt(next, last) { paired := eq(mload(next), add(ix, 1)) }
                        }
                        switch paired
                        case 1 {
                            mstore(0, mload(add(at, 32)))
                            mstore(32, mload(add(next, 32)))
                            at := add(next, 64)
                        }
                        default {
                            if eq(sib, sibEnd) { leave }
                            let odd := and(ix, 1)
                            // The node goes to word `odd`, the sibling to the other word.
                            mstore(shl(5, odd), mload(add(at, 32)))
                            mstore(shl(5, xor(odd, 1)), calldataload(sib))
                            sib := add(sib, 32)
                            at := next
                        }
                        mstore(out, shr(1, ix))
                        mstore(add(out, 32), keccak256(0, 64))
                        out := add(out, 64)
                    }
                    last := out
                }
                valid := and(
                    and(eq(sib, sibEnd), eq(last, add(base, 64))),
                    and(iszero(mload(base)), eq(mload(add(base, 32)), top))
                )
            }
            ok := walk(nodes, n, depth, root, siblings, count)
        }
        if (!ok) revert MerkleMismatch(tree);
    }

    // ================================================================ rollup entry

    /// @inheritdoc IVerifier
    /// @dev `proof` is `abi.encode(bytes32 session, bytes32 traceRoot)`: a session whose 55
    ///      queries are verified and whose public values are `publicValues` (the session id
    ///      binds them). The session is deleted (storage refunded) when the transaction's
    ///      origin is the session's owner; anyone else can check it but not consume it, so
    ///      nobody can spend another prover's session.
    function verify(bytes calldata publicValues, bytes calldata proof) external returns (bool) {
        if (proof.length != 64) return false;
        (bytes32 session, bytes32 traceRoot) = abi.decode(proof, (bytes32, bytes32));
        Session storage s = sessions[session];
        address owner = s.owner;
        if (owner == address(0) || s.done != ALL_QUERIES) return false;
        if (keccak256(abi.encode(owner, keccak256(publicValues), traceRoot)) != session) return false;
        // solhint-disable-next-line avoid-tx-origin
        if (tx.origin == owner) delete sessions[session];
        return true;
    }

    /// @notice Whether every query of `session` is verified.
    function isComplete(bytes32 session) external view returns (bool) {
        return sessions[session].done == ALL_QUERIES;
    }

    // ================================================================ helpers

    function _rounds(uint256 db) private pure returns (uint256) {
        uint256 bits = db + LOG_BLOWUP - LOG_FINAL;
        return (bits + 2) / 3;
    }

    /// Log-arity of round `r`: 3 while more than 3 bits remain, then the rest.
    function _arity(uint256 db, uint256 r) private pure returns (uint256) {
        uint256 bits = db + LOG_BLOWUP - LOG_FINAL;
        uint256 left = bits - 3 * r;
        return left > 3 ? 3 : left;
    }

    function _g(uint256 b) private pure returns (uint256) {
        uint256 w = b < 8 ? G0 : b < 16 ? G1 : b < 24 ? G2 : G3;
        return (w >> (32 * (b % 8))) & 0xffffffff;
    }

    function _gInv(uint256 b) private pure returns (uint256) {
        uint256 w = b < 8 ? GI0 : b < 16 ? GI1 : b < 24 ? GI2 : GI3;
        return (w >> (32 * (b % 8))) & 0xffffffff;
    }

    /// The low `bits` (≤ 32) bits of `x`, reversed: reverses the low 32-bit word by swapping
    /// its halves, bytes, nibbles, bit pairs and bits, then drops the low `32 - bits` bits.
    function _rev(uint256 x, uint256 bits) private pure returns (uint256 r) {
        assembly ("memory-safe") {
            r := and(x, 0xffffffff)
            r := or(shr(16, r), and(shl(16, r), 0xffff0000))
            r := or(and(shr(8, r), 0x00ff00ff), and(shl(8, r), 0xff00ff00))
            r := or(and(shr(4, r), 0x0f0f0f0f), and(shl(4, r), 0xf0f0f0f0))
            r := or(and(shr(2, r), 0x33333333), and(shl(2, r), 0xcccccccc))
            r := or(and(shr(1, r), 0x55555555), and(shl(1, r), 0xaaaaaaaa))
            r := shr(sub(32, bits), r)
        }
    }

    function _w(uint256 state, uint256 i) private pure returns (uint256 v) {
        assembly ("memory-safe") {
            v := calldataload(add(state, mul(i, 32)))
        }
    }

    function _word(uint256 at) private pure returns (uint256 v) {
        assembly ("memory-safe") {
            v := calldataload(at)
        }
    }

    function _put(uint256 at, uint256 i, uint256 v) private pure {
        assembly ("memory-safe") {
            mstore(add(at, mul(i, 32)), v)
        }
    }

    function _storeWord(uint256 at, uint256 v) private pure {
        assembly ("memory-safe") {
            mstore(at, v)
        }
    }

    function _alloc(uint256 size) private pure returns (uint256 ptr) {
        assembly ("memory-safe") {
            ptr := mload(0x40)
            mstore(0x40, add(ptr, size))
        }
    }

    function _bytesAt(uint256 ptr, uint256 len) private pure returns (bytes memory out) {
        out = new bytes(len);
        assembly ("memory-safe") {
            mcopy(add(out, 32), ptr, len)
        }
    }

    function _hashCalldata(uint256 at, uint256 len) private pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let m := mload(0x40)
            calldatacopy(m, at, len)
            h := keccak256(m, len)
        }
    }

    function _le32(uint256 at) private pure returns (uint256 v) {
        assembly ("memory-safe") {
            let w := shr(224, calldataload(at))
            v := or(or(shl(24, and(w, 0xff)), shl(8, and(w, 0xff00))), or(and(shr(8, w), 0xff00), shr(24, w)))
        }
    }

    function _montToCanonical(uint256 m) private pure returns (uint256) {
        if (m >= P) revert NotCanonical(m);
        return mulmod(m, R_INV, P);
    }

    /// 8 Montgomery little-endian coefficients → 8 canonical big-endian ones; reverts on a
    /// value that is not below `p` (Plonky3's deserializer refuses those too).
    function _montToPacked(uint256 w) private pure returns (uint256 out) {
        uint256 bad;
        assembly ("memory-safe") {
            // Byte swap of each 32-bit lane.
            let m8 := 0x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff
            w := or(and(shr(8, w), m8), shl(8, and(w, m8)))
            let m16 := 0x0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff
            w := or(and(shr(16, w), m16), shl(16, and(w, m16)))
            // Canonical check of the 8 lanes at once: with every other lane in a 64-bit slot,
            // lane + (2^32 - p) carries into the slot's bit 32 exactly when lane ≥ p.
            let even := 0x00000000ffffffff00000000ffffffff00000000ffffffff00000000ffffffff
            let k := 0x0000000080ffffff0000000080ffffff0000000080ffffff0000000080ffffff
            bad := and(
                or(add(and(w, even), k), add(and(shr(32, w), even), k)),
                0x0000000100000000000000010000000000000001000000000000000100000000
            )
            let m32 := 0xffffffff
            out := or(
                or(
                    or(shl(224, mulmod(shr(224, w), R_INV, P)), shl(192, mulmod(and(shr(192, w), m32), R_INV, P))),
                    or(
                        shl(160, mulmod(and(shr(160, w), m32), R_INV, P)),
                        shl(128, mulmod(and(shr(128, w), m32), R_INV, P))
                    )
                ),
                or(
                    or(
                        shl(96, mulmod(and(shr(96, w), m32), R_INV, P)),
                        shl(64, mulmod(and(shr(64, w), m32), R_INV, P))
                    ),
                    or(shl(32, mulmod(and(shr(32, w), m32), R_INV, P)), mulmod(and(w, m32), R_INV, P))
                )
            )
        }
        if (bad != 0) {
            // Report the first offending value (`w` holds the values themselves by now).
            for (uint256 sh = 224;; sh -= 32) {
                uint256 m = (w >> sh) & 0xffffffff;
                if (m >= P) revert NotCanonical(m);
            }
        }
    }

    /// Checks and converts the OPENED values to packed canonical words (8 big-endian u32
    /// each) at `b.packed`, and starts the evaluator input with the 2·WIDTH trace values.
    function _convertOpened(Begin memory b) private pure {
        uint256 packed = _alloc(32 * OPENED);
        uint256 opened = b.opened;
        unchecked {
            for (uint256 i; i < 32 * OPENED; i += 32) {
                _storeWord(packed + i, _montToPacked(_word(opened + i)));
            }
        }
        uint256 input = _alloc(32 * (TRACE_OPENED + 4) + 4 * NUM_PV + 32);
        uint256 traceBytes = 32 * TRACE_OPENED;
        assembly ("memory-safe") {
            mcopy(input, packed, traceBytes)
        }
        b.packed = packed;
        b.input = input;
    }

    /// Horner in `x` over `count` packed elements starting at element `first` of `buf`:
    /// `Σ_i x^i · e_{first+i}`.
    function _hornerPacked(uint256 buf, uint256 first, uint256 count, uint256 x) private pure returns (uint256 acc) {
        acc = KoalaBear.extNew();
        unchecked {
            uint256 lo = buf + 32 * first;
            for (uint256 at = lo + 32 * count; at > lo;) {
                at -= 32;
                KoalaBear.extMul(acc, acc, x);
                // acc += e: canonical + canonical, lanes < 2p (a valid `_mul` input).
                assembly ("memory-safe") {
                    let w := mload(at)
                    let m := 0xffffffff
                    mstore(acc, add(mload(acc), or(shr(224, w), shl(80, and(shr(192, w), m)))))
                    mstore(
                        add(acc, 32),
                        add(mload(add(acc, 32)), or(and(shr(160, w), m), shl(80, and(shr(128, w), m))))
                    )
                    mstore(add(acc, 64), add(mload(add(acc, 64)), or(and(shr(96, w), m), shl(80, and(shr(64, w), m)))))
                    mstore(add(acc, 96), add(mload(add(acc, 96)), or(and(shr(32, w), m), shl(80, and(w, m)))))
                }
            }
        }
        KoalaBear.extMulBase(acc, acc, 1); // reduces the lanes
    }
}
