"""``refint graph`` and ``refint report``: the foreign-key graph, its renderings, and the HTML report.

- :mod:`refint.graph.build`: the graph (nodes, one edge per key) and its Mermaid / DOT / SVG / JSON forms;
- :mod:`refint.graph.report`: the self-contained HTML report.
"""

from refint.graph.build import Edge, Graph, build_graph, mermaid_text, render, to_dot, to_mermaid, to_svg

__all__ = ["Edge", "Graph", "build_graph", "mermaid_text", "render", "to_dot", "to_mermaid", "to_svg"]
