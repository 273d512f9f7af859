// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IVerifier} from "../IVerifier.sol";
import {CheckpointHeader} from "../CheckpointLib.sol";
import {KoalaBear} from "./KoalaBear.sol";
import {KeccakTranscript} from "./KeccakTranscript.sol";
import {EpochStatement} from "./EpochStatement.sol";
import {EpochVerifierParams} from "./generated/EpochVerifierParams.sol";

/// @notice The generated out-of-domain constraint evaluation (`generated/EpochConstraints.sol`).
interface IEpochConstraints {
    function fold(bytes calldata input) external view returns (uint256[8] memory acc);
}

/// @title EpochVerifier
/// @notice Verifies a Plonky3 0.9 epoch proof (the `TransitionAir` under the Keccak/EVM STARK
///         configuration: KoalaBear, degree-8 extension, keccak Merkle trees, FRI with blowup 8,
///         arity up to 8, 43 queries, 20-bit query proof of work) exactly as
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
///            43 queries of a session for these public values are verified, and frees the
///            session's storage when the transaction comes from the session's owner.
///         The calldata is produced by `vouch_prover::evm::calldata` (layouts documented there).
/// @dev Extension elements live in memory as 8 canonical words (see `KoalaBear`). Field
///      elements from the proof arrive as Plonky3 serializes them (Montgomery `v·2^32 mod p`,
///      4 bytes little-endian) so that the transcript and the Merkle leaves hash calldata as is.
contract EpochVerifier is IVerifier {
    using KeccakTranscript for KeccakTranscript.Transcript;

    uint256 internal constant P = 0x7f000001;
    /// `2^-32 mod p`: Montgomery form to canonical.
    uint256 internal constant R_INV = 0x3f010000;
    /// `2^32 mod p`: canonical to Montgomery form.
    uint256 internal constant R = 0x01fffffe;
    uint256 internal constant INV2 = 1065353217;
    uint256 internal constant INV3 = 710235478;

    uint256 internal constant WIDTH = 482;
    uint256 internal constant NUM_PV = 40;
    uint256 internal constant OPENED = 980; // 482 + 482 + 16
    uint256 internal constant NUM_QUERIES = 43;
    uint64 internal constant ALL_QUERIES = uint64((1 << 43) - 1);
    uint256 internal constant POW_BITS = 20;
    uint256 internal constant LOG_BLOWUP = 3;
    uint256 internal constant LOG_FINAL = 8;
    uint256 internal constant FINAL_LEN = 32;
    uint256 internal constant ROW_BYTES = 1992; // 482·4 + 16·4
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
    // Frobenius twist: ω^i with ω = 3^((p-1)/8), for i = 0..7.
    uint256 internal constant FROB = 0x67b1c9b100feffff16cd01b77f000000174e36507e0100026832fe4a00000001;

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
        uint256 packed; // memory: the 980 opened values, packed canonical
        uint256[40] pv;
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
        uint256 alpha = KoalaBear.extNew();
        t.sampleExt(alpha);
        t.observeDigest(bytes32(proof[34:66]));
        uint256 zeta = KoalaBear.extNew();
        t.sampleExt(zeta);
        t.observeCalldata(b.seeds + STARK_SEED_BYTES, PCS_SEED_BYTES);
        // Canonical check and conversion of the claims, then absorb them as sent.
        _convertOpened(b);
        t.observeCalldata(b.opened, 32 * OPENED);
        uint256 friAlpha = KoalaBear.extNew();
        t.sampleExt(friAlpha);
        t.observeCalldata(b.seeds + STARK_SEED_BYTES + PCS_SEED_BYTES, b.friSeedLen);
        uint256 betas = _alloc(256 * b.rounds);
        for (uint256 r; r < b.rounds; r++) {
            t.observeDigest(bytes32(proof[66 + 32 * r:98 + 32 * r]));
            t.sampleExt(betas + 256 * r);
        }
        for (uint256 i; i < FINAL_LEN; i++) {
            _checkCanonical(b.finalPoly + 32 * i);
        }
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

    // ================================================================ out-of-domain check

    function _outOfDomain(Begin memory b, uint256 alpha, uint256 zeta) private view {
        // ζ^N, Z_H(ζ) = ζ^N - 1; reject ζ^N = 1.
        uint256 zn = _extPow2k(zeta, b.db);
        uint256 zh = _extCopy(zn);
        _setC0(zh, addmod(_c(zh, 0), P - 1, P));
        if (_isZero(zh)) revert BadShape("zeta in the trace domain");
        _writeSelectors(b, zeta, zh, alpha);
        uint256[8] memory acc = constraints.fold(_bytesAt(b.input, 32 * 968 + 4 * NUM_PV));
        uint256 got;
        assembly ("memory-safe") {
            got := acc
        }
        if (!_extEq(got, _quotientTimesZh(b, zn, zh))) revert OutOfDomainCheckFailed();
    }

    /// Completes the evaluator input: the selectors at ζ over the trace domain (not
    /// normalized, as Plonky3), the constraint-folding challenge and the public values.
    function _writeSelectors(Begin memory b, uint256 zeta, uint256 zh, uint256 alpha) private pure {
        uint256 dFirst = _extCopy(zeta);
        _setC0(dFirst, addmod(_c(dFirst, 0), P - 1, P));
        uint256 dLast = _extCopy(zeta);
        _setC0(dLast, addmod(_c(dLast, 0), P - _gInv(b.db), P));
        (uint256 iFirst, uint256 iLast) = _inv2(dFirst, dLast);
        uint256 sel = KoalaBear.extNew();
        uint256 input = b.input;
        KoalaBear.extMul(zh, iFirst, sel);
        _packEf(input + 32 * 964, sel); // is_first_row = Z_H / (ζ - 1)
        KoalaBear.extMul(zh, iLast, sel);
        _packEf(input + 32 * 965, sel); // is_last_row = Z_H / (ζ - ω^-1)
        _packEf(input + 32 * 966, dLast); // is_transition = ζ - ω^-1
        _packEf(input + 32 * 967, alpha);
        uint256 pvAt = input + 32 * 968;
        for (uint256 i; i < NUM_PV; i++) {
            uint256 v = b.pv[i];
            assembly ("memory-safe") {
                let at := add(pvAt, mul(i, 4))
                mstore(at, or(and(mload(at), not(shl(224, 0xffffffff))), shl(224, v)))
            }
        }
    }

    /// `(zp_0·Q_0 + zp_1·Q_1)·Z_H(ζ)` with `u = (ζ/3)^N`, `zp_0 = (u+1)/2`, `zp_1 = (1-u)/2`.
    function _quotientTimesZh(Begin memory b, uint256 zn, uint256 zh) private pure returns (uint256 out) {
        uint256 u = KoalaBear.extNew();
        KoalaBear.extMulBase(zn, _pow(INV3, 1 << b.db), u);
        uint256 zp0 = _extCopy(u);
        _setC0(zp0, addmod(_c(zp0, 0), 1, P));
        KoalaBear.extMulBase(zp0, INV2, zp0);
        uint256 zp1 = KoalaBear.extNew();
        _setC0(zp1, 1);
        KoalaBear.extSub(zp1, u, zp1);
        KoalaBear.extMulBase(zp1, INV2, zp1);
        uint256 quotient = KoalaBear.extNew();
        uint256 tmp = KoalaBear.extNew();
        KoalaBear.extMul(zp0, _chunk(b.packed, 0), quotient);
        KoalaBear.extMul(zp1, _chunk(b.packed, 1), tmp);
        KoalaBear.extAdd(quotient, tmp, quotient);
        out = KoalaBear.extNew();
        KoalaBear.extMul(quotient, zh, out);
    }

    /// `Σ_k X^k · q_{i,k}` for quotient chunk `i` (8 claimed values after the trace's 964).
    function _chunk(uint256 packed, uint256 i) private pure returns (uint256 q) {
        q = KoalaBear.extNew();
        uint256 e = KoalaBear.extNew();
        for (uint256 k; k < 8; k++) {
            uint256 w;
            uint256 at = packed + 32 * (964 + 8 * i + k);
            assembly ("memory-safe") {
                w := mload(at)
            }
            _unpackTo(w, e);
            for (uint256 j; j < 8; j++) {
                // (X^k·e)_j = e_{j-k} (j ≥ k), 3·e_{j-k+8} (j < k).
                uint256 v = j >= k ? _c(e, j - k) : mulmod(3, _c(e, j + 8 - k), P);
                _setC(q, j, addmod(_c(q, j), v, P));
            }
        }
    }

    // ================================================================ session state

    function _state(Begin memory b, bytes calldata proof, bytes32 pvHash, uint256 zeta, uint256 friAlpha, uint256 betas)
        private
        pure
        returns (bytes memory state)
    {
        uint256 words = 12 + 2 * b.rounds + FINAL_LEN + 6;
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
        _packEf(at + 32 * 5, zeta);
        _packEf(at + 32 * 6, friAlpha);
        _writeDeep(b, at, friAlpha);
        for (uint256 r; r < b.rounds; r++) {
            _put(at, 12 + r, uint256(bytes32(proof[66 + 32 * r:98 + 32 * r])));
            _packEf(at + 32 * (12 + b.rounds + r), betas + 256 * r);
        }
        _writeTail(b, at + 32 * (12 + 2 * b.rounds));
    }

    /// A, B, C (Horner in friAlpha over the trace at ζ and ζω and the 16 quotient values), α^482, α^964.
    function _writeDeep(Begin memory b, uint256 at, uint256 friAlpha) private pure {
        _packEf(at + 32 * 7, _hornerPacked(b.input, 0, WIDTH, friAlpha));
        _packEf(at + 32 * 8, _hornerPacked(b.input, WIDTH, WIDTH, friAlpha));
        _packEf(at + 32 * 9, _hornerPacked(b.packed, 964, 16, friAlpha));
        uint256 a482 = _extPow(friAlpha, WIDTH);
        _packEf(at + 32 * 10, a482);
        uint256 a964 = KoalaBear.extNew();
        KoalaBear.extMul(a482, a482, a964);
        _packEf(at + 32 * 11, a964);
    }

    /// The final polynomial and the query indices.
    function _writeTail(Begin memory b, uint256 fp) private pure {
        for (uint256 i; i < FINAL_LEN; i++) {
            _packEf(fp + 32 * i, _efFromMont(b.finalPoly + 32 * i));
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
        uint256 zeta;
        uint256 zetaNext;
        uint256 friAlpha;
        uint256 a;
        uint256 b;
        uint256 c;
        uint256 a482;
        uint256 a964;
        uint256 powers; // memory: packed friAlpha^i, 3 words each
        uint256 finalPoly; // memory: the 32 coefficients, 8 words each
        uint256[] traceIdx;
        bytes32[] traceLeaf;
        bytes32[] quotientLeaf;
        uint256[] roundIdx; // [r * n + j]
        bytes32[] roundLeaf;
        uint256[] roundValues; // calldata offset of round r's sibling values
        uint256[] roundSiblings; // calldata offset of round r's Merkle siblings (after the count)
        uint256[] roundSiblingCount;
        uint256 traceSiblings;
        uint256 traceSiblingCount;
        uint256 quotientSiblings;
        uint256 quotientSiblingCount;
    }

    /// @notice Verifies a batch of FRI queries of `session` (`state` as `begin` emitted it,
    ///         `batch` from `vouch_prover::evm::calldata`).
    function verifyQueries(bytes32 session, bytes calldata state, bytes calldata batch) external {
        Session storage s = sessions[session];
        if (s.owner == address(0)) revert UnknownSession(session);
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

    function _loadState(Q memory q) private pure {
        q.zeta = _efFromPacked(_w(q.state, 5));
        q.friAlpha = _efFromPacked(_w(q.state, 6));
        q.a = _efFromPacked(_w(q.state, 7));
        q.b = _efFromPacked(_w(q.state, 8));
        q.c = _efFromPacked(_w(q.state, 9));
        q.a482 = _efFromPacked(_w(q.state, 10));
        q.a964 = _efFromPacked(_w(q.state, 11));
        q.zetaNext = KoalaBear.extNew();
        KoalaBear.extMulBase(q.zeta, _g(q.db), q.zetaNext);
        q.finalPoly = _alloc(256 * FINAL_LEN);
        for (uint256 i; i < FINAL_LEN; i++) {
            _unpackTo(_w(q.state, 12 + 2 * q.rounds + i), q.finalPoly + 256 * i);
        }
        // friAlpha^i, i < 482, each as 3 words of 85-bit lanes (c0|c1|c2, c3|c4|c5, c6|c7).
        q.powers = _alloc(96 * WIDTH);
        uint256 cur = KoalaBear.extNew();
        _setC0(cur, 1);
        uint256 nxt = KoalaBear.extNew();
        for (uint256 i; i < WIDTH; i++) {
            _packLanes(q.powers + 96 * i, cur);
            KoalaBear.extMul(cur, q.friAlpha, nxt);
            (cur, nxt) = (nxt, cur);
        }
    }

    function _queries(Q memory q) private pure {
        q.traceIdx = new uint256[](q.n);
        q.traceLeaf = new bytes32[](q.n);
        q.quotientLeaf = new bytes32[](q.n);
        q.roundIdx = new uint256[](q.n * q.rounds);
        q.roundLeaf = new bytes32[](q.n * q.rounds);
        for (uint256 j; j < q.n; j++) {
            _query(q, j);
        }
        // The walk sorts and overwrites its arrays: the quotient tree gets its own index copy.
        uint256[] memory quotientIdx = new uint256[](q.n);
        for (uint256 j; j < q.n; j++) {
            quotientIdx[j] = q.traceIdx[j];
        }
        _multiproof(q.traceIdx, q.traceLeaf, q.h, _w(q.state, 1), q.traceSiblings, q.traceSiblingCount, "trace");
        _multiproof(
            quotientIdx, q.quotientLeaf, q.h, _w(q.state, 2), q.quotientSiblings, q.quotientSiblingCount, "quotient"
        );
        uint256 depth = q.h;
        for (uint256 r; r < q.rounds; r++) {
            depth -= _arity(q.db, r);
            uint256[] memory idx = new uint256[](q.n);
            bytes32[] memory leaf = new bytes32[](q.n);
            for (uint256 j; j < q.n; j++) {
                idx[j] = q.roundIdx[r * q.n + j];
                leaf[j] = q.roundLeaf[r * q.n + j];
            }
            _multiproof(idx, leaf, depth, _w(q.state, 12 + r), q.roundSiblings[r], q.roundSiblingCount[r], "commit phase");
        }
    }

    function _query(Q memory q, uint256 j) private pure {
        uint256 pos;
        {
            uint256 b = q.batch;
            assembly ("memory-safe") {
                pos := byte(0, calldataload(add(b, add(1, j))))
            }
        }
        uint256 idx = _indexOf(q, pos);
        q.traceIdx[j] = idx;
        uint256 row = q.rowsAt + j * ROW_BYTES;
        q.traceLeaf[j] = _hashCalldata(row, 4 * WIDTH);
        q.quotientLeaf[j] = _hashCalldata(row + 4 * WIDTH, 64);
        // Reduced opening at x = 3·g_H^rev(idx).
        uint256 cur = _reducedOpening(q, row, idx);
        // Folding.
        uint256 ix = idx;
        uint256 lh = q.h;
        for (uint256 r; r < q.rounds; r++) {
            uint256 k = _arity(q.db, r);
            (uint256 group, bytes32 leaf) = _group(q, j, r, cur, ix & ((1 << k) - 1), 1 << k);
            ix >>= k;
            lh -= k;
            q.roundIdx[r * q.n + j] = ix;
            q.roundLeaf[r * q.n + j] = leaf;
            cur = _foldRound(q, r, group, k, _pow(_gInv(lh + k), _rev(ix, lh)));
        }
        // Final polynomial at x_f = g_lh^rev(ix).
        uint256 xf = _pow(_g(lh), _rev(ix, lh));
        uint256 eval = KoalaBear.extNew();
        for (uint256 i = FINAL_LEN; i > 0; i--) {
            KoalaBear.extMulBase(eval, xf, eval);
            KoalaBear.extAdd(eval, q.finalPoly + 256 * (i - 1), eval);
        }
        if (!_extEq(eval, cur)) revert FinalPolynomialMismatch(pos);
    }

    /// The group of round `r` for query `j`: its sibling values with `cur` at `posInGroup`,
    /// as extension elements, and its leaf digest.
    function _group(Q memory q, uint256 j, uint256 r, uint256 cur, uint256 posInGroup, uint256 arity)
        private
        pure
        returns (uint256 group, bytes32 leaf)
    {
        group = _alloc(256 * arity);
        uint256 leafBytes = _alloc(32 * arity);
        uint256 sib = q.roundValues[r] + j * (arity - 1) * 32;
        for (uint256 e; e < arity; e++) {
            if (e == posInGroup) {
                _extCopyTo(cur, group + 256 * e);
                _storeWord(leafBytes + 32 * e, _efToMont(cur));
            } else {
                uint256 word;
                assembly ("memory-safe") {
                    word := calldataload(sib)
                }
                _storeWord(leafBytes + 32 * e, word);
                _extCopyTo(_efFromMont(sib), group + 256 * e);
                sib += 32;
            }
        }
        assembly ("memory-safe") {
            leaf := keccak256(leafBytes, shl(5, arity))
        }
    }

    function _indexOf(Q memory q, uint256 pos) private pure returns (uint256) {
        uint256 w = _w(q.state, 12 + 2 * q.rounds + FINAL_LEN + pos / 8);
        return (w >> (224 - 32 * (pos % 8))) & 0xffffffff;
    }

    function _reducedOpening(Q memory q, uint256 row, uint256 idx) private pure returns (uint256 ro) {
        uint256 x = mulmod(3, _pow(_g(q.h), _rev(idx, q.h)), P);
        uint256 s = _dot(q.powers, row, WIDTH);
        uint256 sq = _dot(q.powers, row + 4 * WIDTH, 16);
        uint256 d1 = _extCopy(q.zeta);
        _setC0(d1, addmod(_c(d1, 0), P - x, P));
        uint256 d2 = _extCopy(q.zetaNext);
        _setC0(d2, addmod(_c(d2, 0), P - x, P));
        if (_isZero(d1) || _isZero(d2)) revert DeepPointCollision();
        (uint256 i1, uint256 i2) = _inv2(d1, d2);
        // n1 = (A - S) + α^964·(C - Sq); n2 = α^482·(B - S).
        uint256 t = KoalaBear.extNew();
        KoalaBear.extSub(q.c, sq, t);
        uint256 n1 = KoalaBear.extNew();
        KoalaBear.extMul(q.a964, t, n1);
        KoalaBear.extSub(q.a, s, t);
        KoalaBear.extAdd(n1, t, n1);
        KoalaBear.extSub(q.b, s, t);
        uint256 n2 = KoalaBear.extNew();
        KoalaBear.extMul(q.a482, t, n2);
        ro = KoalaBear.extNew();
        KoalaBear.extMul(n1, i1, ro);
        KoalaBear.extMul(n2, i2, t);
        KoalaBear.extAdd(ro, t, ro);
    }

    /// `Σ_i friAlpha^i · row_i` over `count` Montgomery values at calldata `row`.
    function _dot(uint256 powers, uint256 row, uint256 count) private pure returns (uint256 out) {
        uint256 acc0;
        uint256 acc1;
        uint256 acc2;
        assembly ("memory-safe") {
            let m8 := 0x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff
            let m16 := 0x0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff
            for { let i := 0 } lt(i, count) { i := add(i, 8) } {
                let w := calldataload(add(row, mul(i, 4)))
                w := or(and(shr(8, w), m8), shl(8, and(w, m8)))
                w := or(and(shr(16, w), m16), shl(16, and(w, m16)))
                let lanes := sub(count, i)
                if gt(lanes, 8) { lanes := 8 }
                for { let l := 0 } lt(l, lanes) { l := add(l, 1) } {
                    let v := and(shr(sub(224, mul(l, 32)), w), 0xffffffff)
                    let pw := add(powers, mul(add(i, l), 96))
                    acc0 := add(acc0, mul(v, mload(pw)))
                    acc1 := add(acc1, mul(v, mload(add(pw, 32))))
                    acc2 := add(acc2, mul(v, mload(add(pw, 64))))
                }
            }
        }
        out = KoalaBear.extNew();
        uint256 mask = (1 << 85) - 1;
        uint256[8] memory lanes = [
            acc0 & mask,
            (acc0 >> 85) & mask,
            acc0 >> 170,
            acc1 & mask,
            (acc1 >> 85) & mask,
            acc1 >> 170,
            acc2 & mask,
            (acc2 >> 85) & mask
        ];
        for (uint256 c; c < 8; c++) {
            _setC(out, c, mulmod(lanes[c] % P, R_INV, P));
        }
    }

    function _foldRound(Q memory q, uint256 r, uint256 group, uint256 k, uint256 sInv) private pure returns (uint256) {
        return _foldGroup(group, k, sInv, _efFromPacked(_w(q.state, 12 + q.rounds + r)));
    }

    /// Folds a group of `2^k` values (points `s·g_k^rev(e)`, `sInv = s^-1`) at `beta`: `k`
    /// pairwise folds `(lo + hi)/2 + β·(lo - hi)/(2x)` with `β, β², β⁴`.
    function _foldGroup(uint256 group, uint256 k, uint256 sInv, uint256 beta) private pure returns (uint256) {
        uint256 b = _extCopy(beta);
        uint256 tmp = KoalaBear.extNew();
        uint256 scratch = _alloc(512);
        for (uint256 l; l < k; l++) {
            uint256 bits = k - l; // points of this step: s_l·g_bits^rev_bits(e)
            for (uint256 i; i < (uint256(1) << (bits - 1)); i++) {
                // x^-1 = s_l^-1 · g_bits^-rev_{bits-1}(i)
                uint256 e = _rev(i, bits - 1) << (3 - bits);
                _foldPair(group, i, mulmod(sInv, (G3_INV_POWERS >> (32 * e)) & 0xffffffff, P), b, scratch);
            }
            sInv = mulmod(sInv, sInv, P);
            KoalaBear.extMul(b, b, tmp);
            _extCopyTo(tmp, b);
        }
        return _extCopy(group);
    }

    /// `group[i] = (lo + hi)/2 + β·(lo - hi)·x^-1/2` for `lo, hi = group[2i], group[2i+1]`.
    function _foldPair(uint256 group, uint256 i, uint256 xInv, uint256 beta, uint256 scratch) private pure {
        uint256 lo = group + 512 * i;
        uint256 hi = lo + 256;
        uint256 diff = scratch;
        uint256 tmp = scratch + 256;
        KoalaBear.extSub(lo, hi, diff);
        KoalaBear.extMulBase(diff, xInv, diff);
        KoalaBear.extMul(diff, beta, tmp);
        KoalaBear.extAdd(lo, hi, diff);
        KoalaBear.extAdd(diff, tmp, diff);
        KoalaBear.extMulBase(diff, INV2, group + 256 * i);
    }

    /// Plonky3's `verify_multi_batch` for one tree: sorted unique leaves, level-major siblings.
    /// Sorts and overwrites `idx` and `leaf`.
    function _multiproof(
        uint256[] memory idx,
        bytes32[] memory leaf,
        uint256 depth,
        uint256 root,
        uint256 siblings,
        uint256 count,
        string memory tree
    ) private pure {
        uint256 n = idx.length;
        // Insertion sort by index; equal indices must carry equal leaves.
        for (uint256 i = 1; i < n; i++) {
            uint256 ki = idx[i];
            bytes32 kl = leaf[i];
            uint256 j = i;
            while (j > 0 && idx[j - 1] > ki) {
                idx[j] = idx[j - 1];
                leaf[j] = leaf[j - 1];
                j--;
            }
            idx[j] = ki;
            leaf[j] = kl;
        }
        uint256 len;
        for (uint256 i; i < n; i++) {
            if (idx[i] >> depth != 0) revert MerkleMismatch(tree);
            if (len > 0 && idx[len - 1] == idx[i]) {
                if (leaf[len - 1] != leaf[i]) revert MerkleMismatch(tree);
                continue;
            }
            idx[len] = idx[i];
            leaf[len] = leaf[i];
            len++;
        }
        uint256 used;
        for (uint256 level; level < depth; level++) {
            (len, used) = _level(idx, leaf, len, siblings, used, count);
            if (used > count) revert MerkleMismatch(tree);
        }
        if (used != count || len != 1 || idx[0] != 0 || uint256(leaf[0]) != root) revert MerkleMismatch(tree);
    }

    /// One level of a multiproof walk, in place; returns the new layer length and the
    /// siblings used so far (`count + 1` when they ran out).
    function _level(
        uint256[] memory idx,
        bytes32[] memory leaf,
        uint256 len,
        uint256 siblings,
        uint256 used,
        uint256 count
    ) private pure returns (uint256 out, uint256) {
        uint256 i;
        while (i < len) {
            uint256 ix = idx[i];
            bytes32 parent;
            if (ix & 1 == 0 && i + 1 < len && idx[i + 1] == ix + 1) {
                parent = _compress(leaf[i], leaf[i + 1]);
                i += 2;
            } else {
                if (used == count) return (out, count + 1);
                bytes32 sib;
                uint256 at = siblings + 32 * used;
                assembly ("memory-safe") {
                    sib := calldataload(at)
                }
                used++;
                parent = ix & 1 == 0 ? _compress(leaf[i], sib) : _compress(sib, leaf[i]);
                i += 1;
            }
            idx[out] = ix >> 1;
            leaf[out] = parent;
            out++;
        }
        return (out, used);
    }

    // ================================================================ rollup entry

    /// @inheritdoc IVerifier
    /// @dev `proof` is `abi.encode(bytes32 session, bytes32 traceRoot)`: a session whose 43
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

    function _rev(uint256 x, uint256 bits) private pure returns (uint256 r) {
        for (uint256 i; i < bits; i++) {
            r = (r << 1) | ((x >> i) & 1);
        }
    }

    function _pow(uint256 base, uint256 e) private pure returns (uint256 r) {
        r = 1;
        assembly ("memory-safe") {
            for {} e { e := shr(1, e) } {
                if and(e, 1) { r := mulmod(r, base, 0x7f000001) }
                base := mulmod(base, base, 0x7f000001)
            }
        }
    }

    function _w(uint256 state, uint256 i) private pure returns (uint256 v) {
        assembly ("memory-safe") {
            v := calldataload(add(state, mul(i, 32)))
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

    function _compress(bytes32 l, bytes32 r) private pure returns (bytes32 h) {
        assembly ("memory-safe") {
            mstore(0, l)
            mstore(32, r)
            h := keccak256(0, 64)
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

    function _checkCanonical(uint256 at) private pure {
        for (uint256 i; i < 8; i++) {
            uint256 m = _le32(at + 4 * i);
            if (m >= P) revert NotCanonical(m);
        }
    }

    uint256 internal constant M8 = 0x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff;
    uint256 internal constant M16 = 0x0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff;

    /// Swaps the bytes of each 32-bit lane (8 little-endian u32 ↔ 8 big-endian u32).
    function _bswapLanes(uint256 w) private pure returns (uint256) {
        w = ((w >> 8) & M8) | ((w & M8) << 8);
        return ((w >> 16) & M16) | ((w & M16) << 16);
    }

    /// 8 Montgomery little-endian coefficients → 8 canonical big-endian ones; reverts on a
    /// value that is not below `p` (Plonky3's deserializer refuses those too).
    function _montToPacked(uint256 w) private pure returns (uint256 out) {
        w = _bswapLanes(w);
        uint256 bad;
        assembly ("memory-safe") {
            for { let sh := 0 } lt(sh, 256) { sh := add(sh, 32) } {
                let m := and(shr(sh, w), 0xffffffff)
                if iszero(lt(m, P)) { bad := or(m, 0x100000000) }
                out := or(out, shl(sh, mulmod(m, R_INV, P)))
            }
        }
        if (bad != 0) revert NotCanonical(bad & 0xffffffff);
    }

    /// An extension element from 32 bytes of Montgomery little-endian coefficients.
    function _efFromMont(uint256 at) private pure returns (uint256 e) {
        uint256 w;
        assembly ("memory-safe") {
            w := calldataload(at)
        }
        return _efFromPacked(_montToPacked(w));
    }

    /// An extension element as 32 bytes of Montgomery little-endian coefficients.
    function _efToMont(uint256 e) private pure returns (uint256 w) {
        assembly ("memory-safe") {
            for { let c := 0 } lt(c, 8) { c := add(c, 1) } {
                w := or(w, shl(sub(224, shl(5, c)), mulmod(mload(add(e, shl(5, c))), R, P)))
            }
        }
        return _bswapLanes(w);
    }

    /// An extension element from a packed word (8 big-endian u32, c0 first).
    function _efFromPacked(uint256 w) private pure returns (uint256 e) {
        e = KoalaBear.extNew();
        _unpackTo(w, e);
    }

    function _unpackTo(uint256 w, uint256 e) private pure {
        uint256 bad;
        assembly ("memory-safe") {
            for { let c := 0 } lt(c, 8) { c := add(c, 1) } {
                let v := and(shr(sub(224, shl(5, c)), w), 0xffffffff)
                if iszero(lt(v, P)) { bad := or(v, 0x100000000) }
                mstore(add(e, shl(5, c)), v)
            }
        }
        if (bad != 0) revert NotCanonical(bad & 0xffffffff);
    }

    function _packEf(uint256 at, uint256 e) private pure {
        uint256 w;
        for (uint256 i; i < 8; i++) {
            w |= _c(e, i) << (224 - 32 * i);
        }
        _storeWord(at, w);
    }

    function _packLanes(uint256 at, uint256 e) private pure {
        _storeWord(at, _c(e, 0) | (_c(e, 1) << 85) | (_c(e, 2) << 170));
        _storeWord(at + 32, _c(e, 3) | (_c(e, 4) << 85) | (_c(e, 5) << 170));
        _storeWord(at + 64, _c(e, 6) | (_c(e, 7) << 85));
    }

    /// Checks and converts the 980 opened values to packed canonical words (8 big-endian u32
    /// each) at `b.packed`, and starts the evaluator input with the 964 trace values.
    function _convertOpened(Begin memory b) private pure {
        uint256 packed = _alloc(32 * OPENED);
        uint256 opened = b.opened;
        for (uint256 i; i < OPENED; i++) {
            uint256 w;
            assembly ("memory-safe") {
                w := calldataload(add(opened, shl(5, i)))
            }
            _storeWord(packed + 32 * i, _montToPacked(w));
        }
        uint256 input = _alloc(32 * 968 + 4 * NUM_PV + 32);
        assembly ("memory-safe") {
            mcopy(input, packed, mul(964, 32))
        }
        b.packed = packed;
        b.input = input;
    }

    /// Horner in `x` over `count` packed elements starting at element `first` of `buf`:
    /// `Σ_i x^i · e_{first+i}`.
    function _hornerPacked(uint256 buf, uint256 first, uint256 count, uint256 x) private pure returns (uint256 acc) {
        acc = KoalaBear.extNew();
        uint256 tmp = KoalaBear.extNew();
        for (uint256 i = count; i > 0; i--) {
            KoalaBear.extMul(acc, x, tmp);
            uint256 at = buf + 32 * (first + i - 1);
            assembly ("memory-safe") {
                let w := mload(at)
                for { let c := 0 } lt(c, 8) { c := add(c, 1) } {
                    let o := shl(5, c)
                    mstore(add(acc, o), addmod(mload(add(tmp, o)), and(shr(sub(224, o), w), 0xffffffff), P))
                }
            }
        }
    }

    function _c(uint256 e, uint256 i) private pure returns (uint256 v) {
        assembly ("memory-safe") {
            v := mload(add(e, mul(i, 32)))
        }
    }

    function _setC(uint256 e, uint256 i, uint256 v) private pure {
        assembly ("memory-safe") {
            mstore(add(e, mul(i, 32)), v)
        }
    }

    function _setC0(uint256 e, uint256 v) private pure {
        _setC(e, 0, v);
    }

    function _extCopy(uint256 a) private pure returns (uint256 r) {
        r = KoalaBear.extNew();
        _extCopyTo(a, r);
    }

    function _extCopyTo(uint256 a, uint256 r) private pure {
        assembly ("memory-safe") {
            mcopy(r, a, 256)
        }
    }

    function _isZero(uint256 a) private pure returns (bool z) {
        z = true;
        for (uint256 i; i < 8; i++) {
            if (_c(a, i) != 0) return false;
        }
    }

    function _extEq(uint256 a, uint256 b) private pure returns (bool) {
        for (uint256 i; i < 8; i++) {
            if (_c(a, i) != _c(b, i)) return false;
        }
        return true;
    }

    /// `a^(2^k)` by `k` squarings.
    function _extPow2k(uint256 a, uint256 k) private pure returns (uint256 r) {
        r = _extCopy(a);
        uint256 tmp = KoalaBear.extNew();
        for (uint256 i; i < k; i++) {
            KoalaBear.extMul(r, r, tmp);
            _extCopyTo(tmp, r);
        }
    }

    function _extPow(uint256 a, uint256 e) private pure returns (uint256 r) {
        r = KoalaBear.extNew();
        _setC0(r, 1);
        uint256 base = _extCopy(a);
        uint256 tmp = KoalaBear.extNew();
        while (e != 0) {
            if (e & 1 == 1) {
                KoalaBear.extMul(r, base, tmp);
                _extCopyTo(tmp, r);
            }
            KoalaBear.extMul(base, base, tmp);
            _extCopyTo(tmp, base);
            e >>= 1;
        }
    }

    /// Frobenius `a ↦ a^(p^k)`: coefficient `i` times `ω^(k·i)`.
    function _frob(uint256 a, uint256 k) private pure returns (uint256 r) {
        r = KoalaBear.extNew();
        for (uint256 i; i < 8; i++) {
            uint256 tw = (FROB >> (32 * ((k * i) % 8))) & 0xffffffff;
            _setC(r, i, mulmod(_c(a, i), tw, P));
        }
    }

    /// `a^-1` through the norm: `u = a^(p + … + p^7)`, `N(a) = a·u ∈ F`, `a^-1 = u / N(a)`.
    function _extInv(uint256 a) private pure returns (uint256 r) {
        uint256 f1 = _frob(a, 1);
        uint256 f12 = KoalaBear.extNew();
        KoalaBear.extMul(f1, _frob(f1, 1), f12);
        uint256 f1234 = KoalaBear.extNew();
        KoalaBear.extMul(f12, _frob(f12, 2), f1234);
        uint256 u = KoalaBear.extNew();
        KoalaBear.extMul(f1234, _frob(f12, 4), u);
        uint256 tmp = KoalaBear.extNew();
        KoalaBear.extMul(u, _frob(f1, 6), tmp);
        // N(a) = (a·u)_0.
        uint256 norm = mulmod(_c(a, 0), _c(tmp, 0), P);
        for (uint256 i = 1; i < 8; i++) {
            norm = addmod(norm, mulmod(3, mulmod(_c(a, i), _c(tmp, 8 - i), P), P), P);
        }
        r = KoalaBear.extNew();
        KoalaBear.extMulBase(tmp, KoalaBear.inv(norm), r);
    }

    /// `(1/a, 1/b)` with one inversion.
    function _inv2(uint256 a, uint256 b) private pure returns (uint256 ia, uint256 ib) {
        uint256 ab = KoalaBear.extNew();
        KoalaBear.extMul(a, b, ab);
        uint256 inv = _extInv(ab);
        ia = KoalaBear.extNew();
        KoalaBear.extMul(b, inv, ia);
        ib = KoalaBear.extNew();
        KoalaBear.extMul(a, inv, ib);
    }
}
