using Approvals.Core.Actions;
using Approvals.Core.Indent;
using Microsoft.Extensions.Options;

namespace Approvals.Core.People;

/// <summary>Resolves the Indent actor who approved a grant to directory persons, through every identifier the actor
/// carries — its <c>id</c>, <c>email</c> and <c>altIds</c> — never its display name. An address is looked up as mail,
/// user principal name, proxy address and other mail; anything else as an object id (or user principal name). Only
/// what Entra treats as equal is normalised: surrounding whitespace, letter case (Graph's comparisons ignore it) and an
/// <c>smtp:</c> prefix on a proxy address. The four-eyes rule (<see cref="Workflow.FourEyes"/>) decides on the result.</summary>
public sealed class ApproverResolver(IPeopleDirectory people, IOptions<FourEyesOptions> options)
{
    /// <summary>More identifiers than this on one actor is refused rather than looked up one by one.</summary>
    public const int MaxIdentifiers = 10;

    /// <summary>Longer than this is not an identifier Entra issues (a UPN is at most 113 characters; a mail 256).</summary>
    public const int MaxIdentifierLength = 256;

    public async Task<ApproverCheck> ResolveAsync(Resource? actor, CancellationToken cancellationToken = default)
    {
        if (actor is null)
        {
            return ApproverCheck.NoApprover;
        }

        var shown = FirstText(actor.Email, actor.DisplayName, actor.Id) is { } name
            ? (name.Length > MaxIdentifierLength ? name[..MaxIdentifierLength] + "…" : name) // it is recorded in history and shown in details
            : "an unnamed actor";
        var identifiers = Identifiers(actor);
        if (identifiers.Count == 0)
        {
            return new ApproverCheck(shown, [], Problem: $"the approver ({shown}) carries no id or email the directory could resolve");
        }

        if (identifiers.Count > MaxIdentifiers || identifiers.Any(i => i.Length > MaxIdentifierLength || i.Any(char.IsControl)))
        {
            return new ApproverCheck(shown, [], Problem: $"the approver ({shown}) carries identifiers this service does not look up (more than {MaxIdentifiers}, or malformed)");
        }

        var automatic = options.Value.AutoApprovers.FirstOrDefault(a => identifiers.Contains(a, StringComparer.OrdinalIgnoreCase)); // as the operator listed it
        var found = new Dictionary<string, DirectoryUser>(StringComparer.OrdinalIgnoreCase);
        foreach (var identifier in identifiers)
        {
            var matches = identifier.Contains('@', StringComparison.Ordinal)
                ? await people.FindByAddressAsync(identifier, cancellationToken)
                : await FindByIdAsync(identifier, cancellationToken);
            foreach (var person in matches)
            {
                found[person.Id] = person;
            }
        }

        return new ApproverCheck(
            shown,
            [.. found.Keys.Order(StringComparer.OrdinalIgnoreCase)],
            [.. found.Values.Where(p => !p.Enabled).Select(p => p.Id).Order(StringComparer.OrdinalIgnoreCase)],
            automatic);
    }

    /// <summary>The actor's identifiers, trimmed, without an <c>smtp:</c> prefix, each once (ignoring case).</summary>
    public static IReadOnlyList<string> Identifiers(Resource actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return new[] { actor.Id, actor.Email }.Concat(actor.AltIds ?? [])
            .Select(Normalise)
            .Where(i => i.Length > 0)
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .ToList();
    }

    static string Normalise(string? identifier)
    {
        var trimmed = (identifier ?? "").Trim();
        return trimmed.StartsWith("smtp:", StringComparison.OrdinalIgnoreCase) ? trimmed["smtp:".Length..].Trim() : trimmed;
    }

    async Task<IReadOnlyList<DirectoryUser>> FindByIdAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            return await people.FindUserAsync(id, cancellationToken) is { } person ? [person] : [];
        }
        catch (GraphRefusedException refused) when (refused.StatusCode == System.Net.HttpStatusCode.BadRequest)
        {
            // Graph's 400 for an id it cannot read as an object id (a chat handle, say): it names no user.
            return [];
        }
    }

    static string? FirstText(params string?[] values) => values.Select(v => v?.Trim()).FirstOrDefault(v => !string.IsNullOrEmpty(v));
}
