using System.Text.RegularExpressions;
using Approvals.Local.Actions;

namespace Approvals.Local.Graph;

/// <summary>The <c>$filter</c>s on users that resolve a person from one of their names: <c>id</c>, <c>mail</c> and
/// <c>userPrincipalName</c> with <c>eq</c>, <c>proxyAddresses</c> and <c>otherMails</c> with <c>any(x:x eq '…')</c>,
/// joined by <c>or</c> — each supported by Graph's default (not advanced) queries on users
/// (https://learn.microsoft.com/en-us/graph/aad-advanced-queries, "user properties"). Comparisons ignore case, as
/// Entra's do for these properties; a quote inside a literal is doubled (OData). Anything else is refused with Graph's
/// 400 for an unsupported query, never answered with a guess.</summary>
public static partial class UserFilter
{
    public static Func<LocalPerson, bool> Parse(string? filter)
    {
        if (string.IsNullOrWhiteSpace(filter))
        {
            return _ => true;
        }

        var clauses = new List<Func<LocalPerson, bool>>();
        foreach (var clause in OrClauses(filter.Trim()))
        {
            if (Equality().Match(clause) is { Success: true } eq)
            {
                var value = Literal(eq.Groups["value"].Value);
                Func<LocalPerson, string?> property = eq.Groups["property"].Value switch
                {
                    "id" => p => p.Id,
                    "mail" => p => p.Email,
                    "userPrincipalName" => p => p.Upn,
                    _ => throw Unsupported(),
                };
                clauses.Add(p => string.Equals(property(p), value, StringComparison.OrdinalIgnoreCase));
            }
            else if (AnyEquality().Match(clause) is { Success: true } any && any.Groups["var"].Value == any.Groups["var2"].Value)
            {
                var value = Literal(any.Groups["value"].Value);
                Func<LocalPerson, IReadOnlyList<string>?> property = any.Groups["property"].Value switch
                {
                    "proxyAddresses" => p => p.ProxyAddresses,
                    "otherMails" => p => p.OtherMails,
                    _ => throw Unsupported(),
                };
                clauses.Add(p => (property(p) ?? []).Contains(value, StringComparer.OrdinalIgnoreCase));
            }
            else
            {
                throw Unsupported();
            }
        }

        return p => clauses.Any(c => c(p));
    }

    /// <summary>The clauses joined by <c>or</c> outside string literals (an <c>or</c> inside a quoted address is part of
    /// the address; <c>''</c> inside a literal is an escaped quote).</summary>
    static IEnumerable<string> OrClauses(string filter)
    {
        var start = 0;
        var quoted = false;
        for (var i = 0; i < filter.Length; i++)
        {
            if (filter[i] == '\'')
            {
                quoted = !quoted; // '' flips twice: still inside
            }
            else if (!quoted && OrAt().Match(filter, i) is { Success: true, Index: var at } or && at == i)
            {
                yield return filter[start..i];
                start = i + or.Length;
                i = start - 1;
            }
        }

        yield return filter[start..];
    }

    static string Literal(string quoted) => quoted.Replace("''", "'", StringComparison.Ordinal);

    // Graph's answer to a filter it cannot run (https://learn.microsoft.com/en-us/graph/aad-advanced-queries, "Error handling").
    static GraphRefusalException Unsupported() => new(400, "Request_UnsupportedQuery", "Unsupported Query.");

    [GeneratedRegex(@"\G\s+or\s+")]
    private static partial Regex OrAt();

    [GeneratedRegex(@"^(?<property>[A-Za-z]+)\s+eq\s+'(?<value>(?:[^']|'')*)'$")]
    private static partial Regex Equality();

    [GeneratedRegex(@"^(?<property>[A-Za-z]+)/any\((?<var>[a-z]+):(?<var2>[a-z]+)\s+eq\s+'(?<value>(?:[^']|'')*)'\)$")]
    private static partial Regex AnyEquality();
}
