//! The routing core's integration tests: simulations on a virtual clock (`scenarios`,
//! `rules`, `hours`, `restore`, `estimate`), bad input leaving the state unchanged
//! (`bad_input`), random operation sequences (`props`) and contact-centre statistics against
//! hand-computed figures (`kpi`).

mod bad_input;
mod changes;
mod estimate;
mod helpers;
mod hours;
mod kpi;
mod props;
mod restore;
mod rules;
mod scenarios;
