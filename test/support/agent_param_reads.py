"""Which parameters each handler of the agent reads, found in its source (read from stdin).

Prints JSON: {"ops": {op: {"required": [...], "optional": [...]}}, "problems": [...]}.
A handler is a function registered in the HANDLERS dict; its parameters are its second argument
(`p`). A read is `p["x"]` (required) or `p.get("x", ...)` (optional); `p` passed to another
function of the module is followed into it. Any other use of `p` (iterating it, `p[name]`,
passing it elsewhere) cannot be checked, so it is reported as a problem.
Used by test/unit/agent-operations.test.ts against src/core/agent/operations.ts.
"""
import ast
import json
import sys


def parents(tree):
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            child.parent = node


def constant_str(node):
    if isinstance(node, ast.Index):  # Python < 3.9
        node = node.value
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def analyse(source):
    tree = ast.parse(source)
    parents(tree)
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    handlers, problems = {}, []
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "HANDLERS" for t in node.targets):
            for k, v in zip(node.value.keys, node.value.values):
                if constant_str(k) is None or not isinstance(v, ast.Name) or v.id not in functions:
                    problems.append("HANDLERS entry at line %d is not 'name': function" % k.lineno)
                else:
                    handlers[k.value] = v.id
    if not handlers:
        problems.append("no HANDLERS dict")

    def reads(fname, index, seen):
        """(required, optional) names read from positional argument `index` of function fname."""
        required, optional = set(), set()
        fn = functions[fname]
        if (fname, index) in seen:
            return required, optional
        seen.add((fname, index))
        if index >= len(fn.args.args):
            problems.append("%s: parameters passed as argument %d, which it does not take" % (fname, index))
            return required, optional
        name = fn.args.args[index].arg
        for node in ast.walk(fn):
            if not (isinstance(node, ast.Name) and node.id == name) or node is fn.args.args[index]:
                continue
            up = node.parent
            where = "%s line %d" % (fname, node.lineno)
            if isinstance(up, ast.Subscript) and up.value is node and isinstance(up.ctx, ast.Load) and constant_str(up.slice):
                required.add(constant_str(up.slice))
            elif (isinstance(up, ast.Attribute) and up.attr == "get" and isinstance(up.parent, ast.Call)
                  and up.parent.func is up and up.parent.args and constant_str(up.parent.args[0])):
                optional.add(constant_str(up.parent.args[0]))
            elif (isinstance(up, ast.Call) and node in up.args and isinstance(up.func, ast.Name)
                  and up.func.id in functions):
                r, o = reads(up.func.id, up.args.index(node), seen)
                required |= r
                optional |= o
            else:
                problems.append("%s: the parameters are used in a way that cannot be checked (%s)" % (where, type(up).__name__))
        return required, optional

    ops = {}
    for op, fname in handlers.items():
        required, optional = reads(fname, 1, set())
        ops[op] = {"required": sorted(required), "optional": sorted(optional - required)}
    return {"ops": ops, "problems": problems}


if __name__ == "__main__":
    json.dump(analyse(sys.stdin.read()), sys.stdout, indent=1, sort_keys=True)
