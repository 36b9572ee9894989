using System.Collections.Concurrent;

namespace Approvals.Core.Workflow;

/// <summary>The action fence of the local host on its in-memory engine, in memory too: its approvals live and die with the
/// process, and so must their claims (a file would outlive them, and a later approval with the same idempotency-key id
/// would find an old cancel's claim). <see cref="ConcurrentDictionary{TKey,TValue}.GetOrAdd(TKey,TValue)"/> keeps the
/// first claim, as the table's insert does.</summary>
public sealed class InMemoryActionFenceStore : IActionFenceStore
{
    readonly ConcurrentDictionary<string, string> claims = new(StringComparer.Ordinal);

    public Task<string> ClaimAsync(string approvalId, string claim, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(approvalId);
        return Task.FromResult(claims.GetOrAdd(approvalId, claim));
    }
}
