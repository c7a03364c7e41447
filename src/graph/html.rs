//! `--format html`: one self-contained page (next commit).

use std::io::{self, Write};

use super::model::Graph;

pub fn render(graph: &Graph, depth: usize, out: &mut dyn Write) -> io::Result<()> {
    let _ = (depth, out);
    Err(io::Error::other(format!(
        "the HTML page is not built yet ({} objects)",
        graph.objects.len()
    )))
}
