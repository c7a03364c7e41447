//! The tree-sitter-sfapex node kinds and field names the extractor relies on, in one place.
//! `apex::parser` maps the grammar's numeric kind ids onto [`Kind`] once; a test checks every
//! name here against the pinned grammar, so a grammar upgrade that renames a node fails loudly.

macro_rules! node_kinds {
    ($($variant:ident => $name:literal,)*) => {
        /// A named node kind of the Apex grammar that the extractor handles.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum Kind {
            $($variant,)*
        }

        /// Every handled kind with its grammar name.
        pub(crate) const KINDS: &[(Kind, &str)] = &[$((Kind::$variant, $name),)*];
    };
}

node_kinds! {
    Error => "ERROR",
    ParserOutput => "parser_output",
    LineComment => "line_comment",
    BlockComment => "block_comment",
    // Declarations
    ClassDeclaration => "class_declaration",
    InterfaceDeclaration => "interface_declaration",
    EnumDeclaration => "enum_declaration",
    TriggerDeclaration => "trigger_declaration",
    TriggerEvent => "trigger_event",
    MethodDeclaration => "method_declaration",
    ConstructorDeclaration => "constructor_declaration",
    ConstructorBody => "constructor_body",
    ExplicitConstructorInvocation => "explicit_constructor_invocation",
    FieldDeclaration => "field_declaration",
    ConstantDeclaration => "constant_declaration",
    StaticInitializer => "static_initializer",
    ClassBody => "class_body",
    InterfaceBody => "interface_body",
    EnumBody => "enum_body",
    Modifiers => "modifiers",
    Modifier => "modifier",
    Annotation => "annotation",
    AnnotationArgumentList => "annotation_argument_list",
    Superclass => "superclass",
    Interfaces => "interfaces",
    ExtendsInterfaces => "extends_interfaces",
    TypeList => "type_list",
    FormalParameter => "formal_parameter",
    VariableDeclarator => "variable_declarator",
    AccessorList => "accessor_list",
    AccessorDeclaration => "accessor_declaration",
    // Types
    TypeIdentifier => "type_identifier",
    ScopedTypeIdentifier => "scoped_type_identifier",
    GenericType => "generic_type",
    TypeArguments => "type_arguments",
    ArrayType => "array_type",
    VoidType => "void_type",
    BooleanType => "boolean_type",
    JavaType => "java_type",
    AnnotatedType => "annotated_type",
    // Statements
    Block => "block",
    LocalVariableDeclaration => "local_variable_declaration",
    ExpressionStatement => "expression_statement",
    IfStatement => "if_statement",
    WhileStatement => "while_statement",
    DoStatement => "do_statement",
    ForStatement => "for_statement",
    EnhancedForStatement => "enhanced_for_statement",
    TryStatement => "try_statement",
    CatchClause => "catch_clause",
    FinallyClause => "finally_clause",
    ReturnStatement => "return_statement",
    ThrowStatement => "throw_statement",
    BreakStatement => "break_statement",
    ContinueStatement => "continue_statement",
    SwitchExpression => "switch_expression",
    SwitchRule => "switch_rule",
    SwitchLabel => "switch_label",
    WhenSobjectType => "when_sobject_type",
    RunAsStatement => "run_as_statement",
    // Expressions
    Identifier => "identifier",
    FieldAccess => "field_access",
    JavaFieldAccess => "java_field_access",
    MethodInvocation => "method_invocation",
    ObjectCreationExpression => "object_creation_expression",
    ArrayCreationExpression => "array_creation_expression",
    MapCreationExpression => "map_creation_expression",
    ArrayInitializer => "array_initializer",
    MapInitializer => "map_initializer",
    MapKeyInitializer => "map_key_initializer",
    QueryExpression => "query_expression",
    DmlExpression => "dml_expression",
    DmlType => "dml_type",
    AssignmentExpression => "assignment_expression",
    BinaryExpression => "binary_expression",
    UnaryExpression => "unary_expression",
    UpdateExpression => "update_expression",
    TernaryExpression => "ternary_expression",
    CastExpression => "cast_expression",
    InstanceofExpression => "instanceof_expression",
    ArrayAccess => "array_access",
    ParenthesizedExpression => "parenthesized_expression",
    StringLiteral => "string_literal",
    MultiLineStringLiteral => "multi_line_string_literal",
    This => "this",
    Super => "super",
    ClassLiteral => "class_literal",
    // SOQL and SOSL inside `[ … ]`
    SoqlQueryBody => "soql_query_body",
    SoslQueryBody => "sosl_query_body",
    FromClause => "from_clause",
    StorageIdentifier => "storage_identifier",
    StorageAlias => "storage_alias",
    DottedIdentifier => "dotted_identifier",
    ForClause => "for_clause",
    ForType => "for_type",
    BoundApexExpression => "bound_apex_expression",
}

macro_rules! field_names {
    ($($variant:ident => $name:literal,)*) => {
        /// A field name of the Apex grammar that the extractor reads.
        // `Field::Field` mirrors the grammar's `field` field.
        #[allow(clippy::enum_variant_names)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum Field {
            $($variant,)*
        }

        /// Every field with its grammar name, in declaration order (the enum's discriminants).
        pub(crate) const FIELDS: &[(Field, &str)] = &[$((Field::$variant, $name),)*];
    };
}

field_names! {
    Alternative => "alternative",
    Arguments => "arguments",
    Array => "array",
    Body => "body",
    Condition => "condition",
    Consequence => "consequence",
    Declarator => "declarator",
    Dimensions => "dimensions",
    Element => "element",
    Events => "events",
    Field => "field",
    ForClause => "for_clause",
    FromClause => "from_clause",
    Index => "index",
    Init => "init",
    Interfaces => "interfaces",
    Left => "left",
    Name => "name",
    Object => "object",
    Operand => "operand",
    Operator => "operator",
    Parameters => "parameters",
    Right => "right",
    Superclass => "superclass",
    Target => "target",
    Type => "type",
    TypeArguments => "type_arguments",
    Update => "update",
    UpsertKey => "upsert_key",
    User => "user",
    Value => "value",
}
