use super::*;
use crate::fixture::{FixtureSpec, build};
use p3_air::check_constraints;

fn small(checkpoints: usize) -> FixtureSpec {
    FixtureSpec {
        accounts: 6,
        checkpoints,
        blocks: 2,
        transfers_per_block: 3,
        deposits_per_block: 2,
        seed: 42,
    }
}

#[test]
fn valid_checkpoints_satisfy_every_constraint() {
    let fixture = build(small(2));
    let (trace, pv) = generate_trace(&fixture.checkpoints).unwrap();
    check_constraints(&TransitionAir, &trace, &pv);
}
