/**
 * Scope analysis over an acorn (ESTree) tree: which identifiers does a function read or write that it does not
 * declare itself? Those are the variables it captures from where it was written, and a function that captures
 * anything cannot be sent to another machine as source.
 *
 * Declarations handled: `var` (hoisted to the function), `let`/`const`/`class` (block), function declarations
 * (block, and also the enclosing function for sloppy-mode Annex B hoisting — erring on the side of "declared"),
 * parameters and catch parameters including destructuring and defaults, named function and class expressions,
 * `arguments` in non-arrow functions. Not references: non-computed property keys and member names, labels,
 * `new.target`/`import.meta`, private names `#x`.
 *
 * References are resolved after the whole tree is walked, so hoisting order never matters.
 */
import type { AnyNode, Function as FunctionNode, Pattern } from 'acorn';

interface Scope {
  readonly names: Set<string>;
  readonly parent: Scope | undefined;
  /** Function scopes receive `var` declarations. */
  readonly isFunction: boolean;
}

interface Reference {
  readonly name: string;
  readonly scope: Scope;
  /** The reference is the operand of `typeof`, which never throws for an undeclared name. */
  readonly typeofOnly: boolean;
}

export interface FreeVariableReport {
  /** Free identifiers used other than as a `typeof` operand, sorted. */
  readonly free: string[];
  /** Free identifiers used only as `typeof x`, sorted. */
  readonly typeofOnly: string[];
  /** The code contains a `with` statement, which makes static scoping impossible. */
  readonly hasWith: boolean;
}

function newScope(parent: Scope | undefined, isFunction: boolean): Scope {
  return { names: new Set(), parent, isFunction };
}

function functionScopeOf(scope: Scope): Scope {
  let s: Scope | undefined = scope;
  while (s && !s.isFunction) s = s.parent;
  return s ?? scope;
}

function isNode(value: unknown): value is AnyNode {
  return (
    typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string'
  );
}

/**
 * Analyse `root` (normally a function expression node) and report its free variables.
 *
 * One long function on purpose: its small visitors (`visit`, `visitFunction`, `visitClass`, `declarePattern`)
 * recurse into each other and all append to the same `refs` and `hasWith` of this one analysis; as module-level
 * functions they would pass that state through every call for no gain in what a reader can see.
 */
export function findFreeVariables(root: AnyNode): FreeVariableReport {
  const refs: Reference[] = [];
  let hasWith = false;

  const visitChildren = (node: AnyNode, scope: Scope): void => {
    for (const key in node) {
      if (key === 'type' || key === 'start' || key === 'end' || key === 'loc' || key === 'range') continue;
      const child = (node as unknown as Record<string, unknown>)[key];
      if (Array.isArray(child)) {
        for (const c of child) if (isNode(c)) visit(c, scope);
      } else if (isNode(child)) {
        visit(child, scope);
      }
    }
  };

  /** Declare the names bound by a pattern in `target`; defaults and computed keys are expressions in `exprScope`. */
  const declarePattern = (pattern: Pattern, target: Scope, exprScope: Scope): void => {
    switch (pattern.type) {
      case 'Identifier':
        target.names.add(pattern.name);
        return;
      case 'ObjectPattern':
        for (const prop of pattern.properties) {
          if (prop.type === 'RestElement') declarePattern(prop.argument, target, exprScope);
          else {
            if (prop.computed) visit(prop.key, exprScope);
            declarePattern(prop.value, target, exprScope);
          }
        }
        return;
      case 'ArrayPattern':
        for (const el of pattern.elements) if (el) declarePattern(el, target, exprScope);
        return;
      case 'RestElement':
        declarePattern(pattern.argument, target, exprScope);
        return;
      case 'AssignmentPattern':
        declarePattern(pattern.left, target, exprScope);
        visit(pattern.right, exprScope);
        return;
      case 'MemberExpression':
        visit(pattern, exprScope);
        return;
    }
  };

  const visitFunction = (fn: FunctionNode & AnyNode, outer: Scope): void => {
    let scope = outer;
    if (fn.type === 'FunctionExpression' && fn.id) {
      // A named function expression binds its own name in a scope between the outside and its parameters.
      scope = newScope(outer, false);
      scope.names.add(fn.id.name);
    }
    const fnScope = newScope(scope, true);
    if (fn.type !== 'ArrowFunctionExpression') fnScope.names.add('arguments');
    for (const param of fn.params) declarePattern(param, fnScope, fnScope);
    if (fn.body.type === 'BlockStatement') for (const stmt of fn.body.body) visit(stmt, fnScope);
    else visit(fn.body, fnScope);
  };

  const visitClass = (
    node: Extract<AnyNode, { type: 'ClassDeclaration' | 'ClassExpression' }>,
    outer: Scope,
  ): void => {
    const scope = newScope(outer, false);
    if (node.id) scope.names.add(node.id.name);
    if (node.superClass) visit(node.superClass, scope);
    for (const member of node.body.body) {
      if (member.type === 'StaticBlock') {
        const blockScope = newScope(scope, true);
        for (const stmt of member.body) visit(stmt, blockScope);
        continue;
      }
      if (member.computed) visit(member.key, scope);
      // Field initialisers behave like tiny methods: they get their own var scope.
      if (member.value)
        visit(member.value, member.type === 'PropertyDefinition' ? newScope(scope, true) : scope);
    }
  };

  const visit = (node: AnyNode, scope: Scope): void => {
    switch (node.type) {
      case 'Identifier':
        refs.push({ name: node.name, scope, typeofOnly: false });
        return;
      case 'UnaryExpression':
        if (node.operator === 'typeof' && node.argument.type === 'Identifier') {
          refs.push({ name: node.argument.name, scope, typeofOnly: true });
          return;
        }
        visit(node.argument, scope);
        return;
      case 'FunctionDeclaration':
        if (node.id) {
          scope.names.add(node.id.name);
          functionScopeOf(scope).names.add(node.id.name);
        }
        visitFunction(node, scope);
        return;
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
        visitFunction(node, scope);
        return;
      case 'ClassDeclaration':
        if (node.id) scope.names.add(node.id.name);
        visitClass(node, scope);
        return;
      case 'ClassExpression':
        visitClass(node, scope);
        return;
      case 'VariableDeclaration': {
        const target = node.kind === 'var' ? functionScopeOf(scope) : scope;
        for (const decl of node.declarations) {
          declarePattern(decl.id, target, scope);
          if (decl.init) visit(decl.init, scope);
        }
        return;
      }
      case 'BlockStatement': {
        const block = newScope(scope, false);
        for (const stmt of node.body) visit(stmt, block);
        return;
      }
      case 'ForStatement':
      case 'ForInStatement':
      case 'ForOfStatement':
      case 'SwitchStatement':
        // The loop head (`for (let i ...)`) and the switch body are block scopes of their own.
        visitChildren(node, newScope(scope, false));
        return;
      case 'CatchClause': {
        const catchScope = newScope(scope, false);
        if (node.param) declarePattern(node.param, catchScope, catchScope);
        visit(node.body, catchScope);
        return;
      }
      case 'MemberExpression':
        visit(node.object, scope);
        if (node.computed) visit(node.property, scope);
        return;
      case 'Property':
      case 'MethodDefinition':
      case 'PropertyDefinition':
        if (node.computed) visit(node.key, scope);
        if (node.value) visit(node.value, scope);
        return;
      case 'LabeledStatement':
        visit(node.body, scope);
        return;
      case 'BreakStatement':
      case 'ContinueStatement':
      case 'MetaProperty':
      case 'PrivateIdentifier':
      case 'ThisExpression':
      case 'Super':
      case 'Literal':
      case 'TemplateElement':
        return;
      case 'WithStatement':
        hasWith = true;
        visitChildren(node, scope);
        return;
      default:
        visitChildren(node, scope);
    }
  };

  visit(root, newScope(undefined, true));

  const free = new Set<string>();
  const typeofFree = new Set<string>();
  for (const ref of refs) {
    let s: Scope | undefined = ref.scope;
    while (s && !s.names.has(ref.name)) s = s.parent;
    if (s) continue;
    (ref.typeofOnly ? typeofFree : free).add(ref.name);
  }
  for (const name of free) typeofFree.delete(name);
  return { free: [...free].sort(), typeofOnly: [...typeofFree].sort(), hasWith };
}

/**
 * Does a method body use `this` (outside nested non-arrow functions and classes, which have their own)?
 * A method that does depends on its object or class instance and cannot be lifted out as a plain function.
 */
export function usesThis(fn: FunctionNode & AnyNode): boolean {
  const stack: AnyNode[] = [...fn.params, fn.body];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.type === 'ThisExpression' || node.type === 'Super') return true;
    if (node.type === 'FunctionExpression' || node.type === 'FunctionDeclaration') continue;
    if (node.type === 'ClassExpression' || node.type === 'ClassDeclaration') continue;
    for (const key in node) {
      if (key === 'type' || key === 'start' || key === 'end' || key === 'loc' || key === 'range') continue;
      const child = (node as unknown as Record<string, unknown>)[key];
      if (Array.isArray(child)) {
        for (const c of child) if (isNode(c)) stack.push(c);
      } else if (isNode(child)) stack.push(child);
    }
  }
  return false;
}
