//! System sampling: disk space and, later, CPU, memory and services.

pub mod disk;
