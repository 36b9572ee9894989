using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Approvals.Core.Workflow;

namespace Approvals.Local.Actions;

/// <summary>The access ledger of the local host on its in-memory engine: one owner-only JSON file in the data directory
/// (<c>access-ledger.json</c>), so what a run granted outlives the run — the next host start reconciles it. Every write is
/// conditional on the entry's version, as the table's are on its ETag; one host process owns a data directory.</summary>
public sealed class FileAccessLedgerStore(string directory) : IAccessLedgerStore
{
    public const string FileName = "access-ledger.json";

    readonly Lock gate = new();

    string PathOf => Path.Combine(directory, FileName);

    /// <summary>Every entry (tests and tools read it from outside the host too).</summary>
    public static IReadOnlyList<LedgerEntry> Read(string directory)
    {
        var path = Path.Combine(directory, FileName);
        return File.Exists(path) ? JsonSerializer.Deserialize(File.ReadAllText(path), LedgerJsonContext.Default.ListLedgerEntry) ?? [] : [];
    }

    public Task<LedgerEntry?> GetAsync(string groupId, string memberId, string approvalId, CancellationToken cancellationToken = default)
    {
        lock (gate)
        {
            return Task.FromResult(Read(directory).FirstOrDefault(e => Same(e, groupId, memberId, approvalId)));
        }
    }

    public Task<IReadOnlyList<LedgerEntry>> MembershipAsync(string groupId, string memberId, CancellationToken cancellationToken = default)
    {
        lock (gate)
        {
            return Task.FromResult<IReadOnlyList<LedgerEntry>>([.. Read(directory).Where(e => e.GroupId == groupId && e.MemberId == memberId)]);
        }
    }

    public Task<IReadOnlyList<LedgerEntry>> UnsettledAsync(CancellationToken cancellationToken = default)
    {
        lock (gate)
        {
            return Task.FromResult<IReadOnlyList<LedgerEntry>>([.. Read(directory).Where(e => !e.Settled)]);
        }
    }

    public Task<bool> TryInsertAsync(LedgerEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        lock (gate)
        {
            var all = Read(directory).ToList();
            if (all.Any(e => Same(e, entry.GroupId, entry.MemberId, entry.ApprovalId)))
            {
                return Task.FromResult(false);
            }

            all.Add(entry with { Version = "1" });
            Write(all);
            return Task.FromResult(true);
        }
    }

    public Task<bool> TryReplaceAsync(LedgerEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        lock (gate)
        {
            var all = Read(directory).ToList();
            var index = all.FindIndex(e => Same(e, entry.GroupId, entry.MemberId, entry.ApprovalId));
            if (index < 0 || (entry.Version is not null && all[index].Version != entry.Version))
            {
                return Task.FromResult(false);
            }

            var next = int.Parse(all[index].Version ?? "0", CultureInfo.InvariantCulture) + 1;
            all[index] = entry with { Version = next.ToString(CultureInfo.InvariantCulture) };
            Write(all);
            return Task.FromResult(true);
        }
    }

    void Write(List<LedgerEntry> all)
    {
        OwnerOnly.Directory(directory);
        OwnerOnly.WriteAtomically(PathOf, JsonSerializer.Serialize(all, LedgerJsonContext.Default.ListLedgerEntry));
    }

    static bool Same(LedgerEntry e, string groupId, string memberId, string approvalId) =>
        e.GroupId == groupId && e.MemberId == memberId && e.ApprovalId == approvalId;
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(List<LedgerEntry>))]
internal sealed partial class LedgerJsonContext : JsonSerializerContext;
