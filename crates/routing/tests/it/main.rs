//! The routing core's integration tests: simulations on a virtual clock (`scenarios`), bad
//! input leaving the state unchanged (`bad_input`) and random operation sequences (`props`).

mod bad_input;
mod helpers;
mod props;
mod scenarios;
