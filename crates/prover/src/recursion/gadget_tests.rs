use super::circuit::{CircuitBuilder, CircuitError, Ext, Wire};
use super::gadgets::{
    CircuitChallenger, VAL_BITS, assert_canonical_bits, compress, hash_slice, merkle_step,
};
use super::poseidon2;
use super::stark::CircuitKey;
use crate::config::{Perm16, Val};
use p3_challenger::{CanObserve, CanSample, CanSampleBits, DuplexChallenger, GrindingChallenger};
use p3_field::{PrimeCharacteristicRing, PrimeField32};
use p3_symmetric::{
    CryptographicHasher, PaddingFreeSponge, PseudoCompressionFunction, TruncatedPermutation,
};

fn val(i: u32) -> Val {
    Val::from_u32(i.wrapping_mul(0x9E37_79B9) % 0x7f00_0001)
}

/// What a test program does, so the same script runs natively and in the circuit.
#[derive(Clone, Copy, Debug)]
enum Op {
    Observe(usize),
    Sample,
    SampleExt,
    SampleBits(usize),
    Grind(usize),
}

fn script() -> Vec<Op> {
    use Op::*;
    let mut ops = vec![
        Sample,
        Observe(3),
        SampleExt,
        Observe(8),
        Sample,
        Sample,
        SampleBits(10),
    ];
    ops.extend([
        Observe(1),
        SampleBits(20),
        Observe(13),
        SampleExt,
        SampleExt,
        Grind(6),
        Sample,
    ]);
    ops.extend([Observe(7), Grind(3), SampleBits(1), Observe(16), Sample]);
    ops
}

#[test]
fn the_circuit_challenger_draws_what_the_native_one_draws() {
    type Native = DuplexChallenger<Val, Perm16, 16, 8>;
    let mut native = Native::new(poseidon2());
    let mut expected: Vec<Ext> = Vec::new();
    let mut inputs: Vec<Ext> = Vec::new();
    let mut next = 0u32;
    let mut grinds = Vec::new();
    for op in script() {
        match op {
            Op::Observe(n) => {
                for _ in 0..n {
                    next += 1;
                    native.observe(val(next));
                    inputs.push(Ext::from(val(next)));
                }
            }
            Op::Sample => expected.push(Ext::from(CanSample::<Val>::sample(&mut native))),
            Op::SampleExt => expected.push(CanSample::<Ext>::sample(&mut native)),
            Op::SampleBits(k) => expected.push(Ext::from(Val::from_usize(native.sample_bits(k)))),
            Op::Grind(k) => {
                let w = native.grind(k);
                grinds.push(inputs.len());
                inputs.push(Ext::from(w));
            }
        }
    }

    let mut b = CircuitBuilder::new();
    let mut ch = CircuitChallenger::new(&mut b);
    let mut outs: Vec<Wire> = Vec::new();
    for op in script() {
        match op {
            Op::Observe(n) => {
                for _ in 0..n {
                    let w = b.input();
                    ch.observe(&mut b, w);
                }
            }
            Op::Sample => outs.push(ch.sample(&mut b)),
            Op::SampleExt => outs.push(ch.sample_ext(&mut b)),
            Op::SampleBits(k) => {
                let bits = ch.sample_bits(&mut b, k);
                outs.push(super::gadgets::from_bits(&mut b, &bits));
            }
            Op::Grind(k) => {
                let w = b.input();
                ch.check_witness(&mut b, k, w);
            }
        }
    }
    // The state after the script must agree too: one more squeeze each.
    expected.push(CanSample::<Ext>::sample(&mut native));
    outs.push(ch.sample_ext(&mut b));

    let key = CircuitKey::new(b.build()).unwrap();
    let w = key
        .circuit()
        .execute(&[], &inputs)
        .expect("the script satisfies the circuit");
    let got: Vec<Ext> = outs.iter().map(|o| w.value(*o)).collect();
    assert_eq!(got, expected);
    let proof = key.prove(&w).unwrap();
    key.verify(&proof, &[]).unwrap();

    // Another witness for the 6-bit grind fails the circuit unless it happens to grind too:
    // find one that does not (63 in 64 do not).
    let bad = (1..100u32)
        .map(|d| {
            let mut bad = inputs.clone();
            bad[grinds[0]] += Ext::from(Val::from_u32(d));
            bad
        })
        .find(|bad| {
            let mut n = Native::new(poseidon2());
            let mut it = bad.iter();
            for op in script() {
                match op {
                    Op::Observe(k) => {
                        (0..k).for_each(|_| n.observe(super::circuit::base(it.next().unwrap())))
                    }
                    Op::Sample => drop(CanSample::<Val>::sample(&mut n)),
                    Op::SampleExt => drop(CanSample::<Ext>::sample(&mut n)),
                    Op::SampleBits(k) => drop(n.sample_bits(k)),
                    Op::Grind(k) => {
                        return !n.check_witness(k, super::circuit::base(it.next().unwrap()));
                    }
                }
            }
            false
        })
        .expect("a failing witness");
    assert!(matches!(
        key.circuit().execute(&[], &bad),
        Err(CircuitError::Unsatisfied { .. })
    ));
}

#[test]
fn sponge_hash_and_compression_match_the_merkle_tree() {
    let hasher = PaddingFreeSponge::<Perm16, 16, 8, 8>::new(poseidon2());
    let compressor = TruncatedPermutation::<Perm16, 2, 8, 16>::new(poseidon2());
    let mut b = CircuitBuilder::new();
    let lens = [0usize, 1, 7, 8, 9, 16, 531];
    let mut digests = Vec::new();
    let mut inputs = Vec::new();
    let mut natives = Vec::new();
    for (k, len) in lens.iter().enumerate() {
        let vals: Vec<Val> = (0..*len).map(|i| val((k * 1000 + i) as u32)).collect();
        let wires: Vec<Wire> = vals.iter().map(|_| b.input()).collect();
        inputs.extend(vals.iter().map(|v| Ext::from(*v)));
        digests.push(hash_slice(&mut b, &wires));
        natives.push(hasher.hash_iter(vals));
    }
    let c = compress(&mut b, &digests[2], &digests[3]);
    let native_c = compressor.compress([natives[2], natives[3]]);
    // Merkle steps in both positions.
    let bit0 = b.zero();
    let bit1 = b.one();
    let left = merkle_step(&mut b, bit0, &digests[4], &digests[5]);
    let right = merkle_step(&mut b, bit1, &digests[4], &digests[5]);
    let native_left = compressor.compress([natives[4], natives[5]]);
    let native_right = compressor.compress([natives[5], natives[4]]);
    let circuit = b.build();
    let w = circuit.execute(&[], &inputs).unwrap();
    let read = |d: &[Wire; 8]| -> Vec<Val> {
        d.iter()
            .map(|x| super::circuit::base(&w.value(*x)))
            .collect()
    };
    assert_eq!(read(&left), native_left.to_vec());
    assert_eq!(read(&right), native_right.to_vec());
    let key = CircuitKey::new(circuit.clone()).unwrap();
    key.verify(&key.prove(&w).unwrap(), &[]).unwrap();
    for (d, n) in digests.iter().zip(&natives) {
        let got: Vec<Val> = d
            .iter()
            .map(|x| super::circuit::base(&w.value(*x)))
            .collect();
        assert_eq!(got, n.to_vec());
    }
    let got: Vec<Val> = c
        .iter()
        .map(|x| super::circuit::base(&w.value(*x)))
        .collect();
    assert_eq!(got, native_c.to_vec());
}

#[test]
fn bits_must_be_the_canonical_representative() {
    let mut b = CircuitBuilder::new();
    let x = b.input();
    let bits: [Wire; VAL_BITS] = std::array::from_fn(|_| b.input());
    assert_canonical_bits(&mut b, x, &bits);
    let circuit = b.build();
    let spell = |n: u64| -> Vec<Ext> {
        (0..VAL_BITS)
            .map(|i| Ext::from(Val::from_u64((n >> i) & 1)))
            .collect()
    };
    let p = u64::from(Val::ORDER_U32);
    for x in [0u64, 5, (1 << 24) - 1, p - 1] {
        let mut inputs = vec![Ext::from(Val::from_u64(x))];
        inputs.extend(spell(x));
        circuit.execute(&[], &inputs).expect("canonical bits");
        // x + p still fits in 31 bits for small x: the same element spelled non-canonically.
        if x + p < 1 << VAL_BITS {
            let mut forged = vec![Ext::from(Val::from_u64(x))];
            forged.extend(spell(x + p));
            assert!(
                matches!(
                    circuit.execute(&[], &forged),
                    Err(CircuitError::Unsatisfied { .. })
                ),
                "x = {x} spelled as x + p"
            );
        }
    }
    // A non-boolean "bit" that still sums to x.
    let mut forged = vec![Ext::from(Val::from_u64(6))];
    forged.extend(spell(0));
    forged[1 + 1] = Ext::from(Val::from_u64(3)); // 3·2 = 6
    assert!(matches!(
        circuit.execute(&[], &forged),
        Err(CircuitError::Unsatisfied { .. })
    ));
}
