//! An object's neighbourhood (`--object X`): who writes X, what a save of X runs (its
//! triggers and their handlers, what they write, what those writes run in turn, to `--depth`
//! cascades), and the parents that each write locks.

use std::collections::{BTreeMap, BTreeSet};

use crate::index::events::Events;

use super::model::{EdgeKind, Focus, Graph, NodeRef};

/// Nodes and edges of a graph, by index.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Selection {
    pub objects: BTreeSet<usize>,
    pub writers: BTreeSet<usize>,
    pub edges: BTreeSet<usize>,
    /// Objects written at the last level whose own automation is left out (beyond the depth).
    pub cut: BTreeSet<usize>,
}

impl Selection {
    fn add(&mut self, node: NodeRef) {
        match node {
            NodeRef::Object(i) => self.objects.insert(i),
            NodeRef::Writer(i) => self.writers.insert(i),
        };
    }

    fn add_edge(&mut self, graph: &Graph, edge: usize) {
        self.edges.insert(edge);
        self.add(graph.edges[edge].from);
        self.add(graph.edges[edge].to);
    }
}

/// Edges by their ends, for walking.
struct Adjacency {
    outgoing: BTreeMap<NodeRef, Vec<usize>>,
    incoming: BTreeMap<NodeRef, Vec<usize>>,
}

impl Adjacency {
    fn new(graph: &Graph) -> Adjacency {
        let mut outgoing: BTreeMap<NodeRef, Vec<usize>> = BTreeMap::new();
        let mut incoming: BTreeMap<NodeRef, Vec<usize>> = BTreeMap::new();
        for (index, edge) in graph.edges.iter().enumerate() {
            outgoing.entry(edge.from).or_default().push(index);
            incoming.entry(edge.to).or_default().push(index);
        }
        Adjacency { outgoing, incoming }
    }

    fn from(&self, node: NodeRef) -> &[usize] {
        self.outgoing.get(&node).map_or(&[], Vec::as_slice)
    }

    fn to(&self, node: NodeRef) -> &[usize] {
        self.incoming.get(&node).map_or(&[], Vec::as_slice)
    }
}

/// Every object's neighbourhood at once (the HTML page's search), sharing one adjacency.
pub fn all_neighbourhoods(graph: &Graph, depth: usize) -> Vec<Selection> {
    let adjacency = Adjacency::new(graph);
    (0..graph.objects.len())
        .map(|object| walk(graph, &adjacency, object, depth))
        .collect()
}

/// The neighbourhood of one object.
pub fn neighbourhood(graph: &Graph, object: usize, depth: usize) -> Selection {
    walk(graph, &Adjacency::new(graph), object, depth)
}

/// The graph narrowed to an object's neighbourhood, with the focus recorded.
pub fn focus(graph: &Graph, object: usize, depth: usize) -> Graph {
    let selection = neighbourhood(graph, object, depth);
    let mut narrowed = graph.restrict(&selection.objects, &selection.writers, &selection.edges);
    narrowed.focus = Some(Focus {
        object: graph.objects[object].name.clone(),
        depth,
        cut: selection
            .cut
            .iter()
            .map(|o| graph.objects[*o].name.clone())
            .collect(),
    });
    narrowed
}

fn walk(graph: &Graph, adjacency: &Adjacency, object: usize, depth: usize) -> Selection {
    let mut selection = Selection::default();
    let focus = NodeRef::Object(object);
    selection.add(focus);

    // Who writes the object (what starts each writer is in its label and its details).
    for &write in adjacency.to(focus) {
        if matches!(graph.edges[write].kind, EdgeKind::Writes { .. }) {
            selection.add_edge(graph, write);
        }
    }

    // What a write to the object runs, level by level: each level is the automation that
    // the writes of the level before run, for the events those writes fire.
    let mut done: BTreeMap<usize, Events> = BTreeMap::new();
    let mut frontier: BTreeMap<usize, Events> = BTreeMap::from([(object, Events::ALL)]);
    let mut written: BTreeSet<usize> = BTreeSet::from([object]);
    for _ in 0..depth {
        let mut next: BTreeMap<usize, Events> = BTreeMap::new();
        for (&current, &events) in &frontier {
            let seen = done.entry(current).or_insert(Events::NONE);
            let events = events.intersect(seen.complement());
            *seen = seen.union(events);
            if events.is_empty() {
                continue;
            }
            let mut runners: Vec<(NodeRef, Events)> = Vec::new();
            for &run in adjacency.from(NodeRef::Object(current)) {
                if let EdgeKind::Runs { events: on, .. } = &graph.edges[run].kind
                    && on.intersects(events)
                {
                    selection.add_edge(graph, run);
                    runners.push((graph.edges[run].to, on.intersect(events)));
                }
            }
            // Triggers, then the handlers they dispatch to, for the events that reach them.
            let mut visited: BTreeSet<NodeRef> = BTreeSet::new();
            while let Some((writer, events)) = runners.pop() {
                if !visited.insert(writer) {
                    continue;
                }
                for &edge in adjacency.from(writer) {
                    match &graph.edges[edge].kind {
                        EdgeKind::Runs { events: on, .. } if on.intersects(events) => {
                            selection.add_edge(graph, edge);
                            runners.push((graph.edges[edge].to, on.intersect(events)));
                        }
                        EdgeKind::Writes { dml } => {
                            selection.add_edge(graph, edge);
                            if let NodeRef::Object(target) = graph.edges[edge].to {
                                written.insert(target);
                                let fired = dml
                                    .iter()
                                    .map(|kind| Events::of_dml(*kind))
                                    .fold(Events::NONE, Events::union);
                                let entry = next.entry(target).or_insert(Events::NONE);
                                *entry = entry.union(fired);
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        frontier = next;
    }
    // Objects written at the last level whose automation is not drawn.
    for (&object, &events) in &frontier {
        let seen = done.get(&object).copied().unwrap_or(Events::NONE);
        let runs_more = adjacency.from(NodeRef::Object(object)).iter().any(|&e| {
            matches!(&graph.edges[e].kind, EdgeKind::Runs { events: on, .. }
                if on.intersects(events.intersect(seen.complement())))
        });
        if runs_more {
            selection.cut.insert(object);
        }
    }

    // The parents each write locks, the object's own included.
    for &object in &written {
        for &edge in adjacency.from(NodeRef::Object(object)) {
            if matches!(graph.edges[edge].kind, EdgeKind::Locks { .. }) {
                selection.add_edge(graph, edge);
            }
        }
    }
    selection
}
