using System.Text;
using Azure;
using Azure.Data.Tables;

namespace Approvals.Core.Workflow;

/// <summary>The access ledger as a table in the task hub's storage account (<c>{TASKHUB_NAME}AccessLedger</c>): one
/// partition per membership (group and member), one row per approval. Conditional writes use the entity's ETag
/// (https://learn.microsoft.com/dotnet/api/azure.data.tables.tableclient.updateentity: with an ETag the update fails
/// with 412 Precondition Failed when the entity changed since it was read); adding a row that exists throws
/// (https://learn.microsoft.com/dotnet/api/azure.data.tables.tableclient.addentityasync: "thrown if entity already
/// exists", 409 Conflict). The Functions app already holds
/// "Storage Table Data Contributor" on that account for Durable Functions' own tables (infra/bicep/app/rbac.bicep).</summary>
public sealed class TableAccessLedgerStore(TableClient table) : IAccessLedgerStore
{
    /// <summary>The ledger's table for a task hub: its name plus <c>AccessLedger</c> (letters and digits, as Azure Table
    /// names must be: https://learn.microsoft.com/en-us/rest/api/storageservices/understanding-the-table-service-data-model).</summary>
    public static string TableNameFor(string taskHub) => taskHub + "AccessLedger";

    int created;

    async Task<TableClient> TableAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref created) == 0)
        {
            await table.CreateIfNotExistsAsync(cancellationToken);
            Volatile.Write(ref created, 1);
        }

        return table;
    }

    public async Task<LedgerEntry?> GetAsync(string groupId, string memberId, string approvalId, CancellationToken cancellationToken = default)
    {
        var client = await TableAsync(cancellationToken);
        var found = await client.GetEntityIfExistsAsync<TableEntity>(Partition(groupId, memberId), Row(approvalId), cancellationToken: cancellationToken);
        return found.HasValue ? FromEntity(found.Value!) : null;
    }

    public async Task<IReadOnlyList<LedgerEntry>> MembershipAsync(string groupId, string memberId, CancellationToken cancellationToken = default)
    {
        var client = await TableAsync(cancellationToken);
        var partition = Partition(groupId, memberId);
        return await ListAsync(client.QueryAsync<TableEntity>(e => e.PartitionKey == partition, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<LedgerEntry>> UnsettledAsync(CancellationToken cancellationToken = default)
    {
        var client = await TableAsync(cancellationToken);
        return await ListAsync(client.QueryAsync<TableEntity>(filter: "Settled eq false", cancellationToken: cancellationToken));
    }

    public async Task<bool> TryInsertAsync(LedgerEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var client = await TableAsync(cancellationToken);
        try
        {
            await client.AddEntityAsync(ToEntity(entry), cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return false;
        }
    }

    public async Task<bool> TryReplaceAsync(LedgerEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var client = await TableAsync(cancellationToken);
        try
        {
            await client.UpdateEntityAsync(ToEntity(entry), entry.Version is null ? ETag.All : new ETag(entry.Version), TableUpdateMode.Replace, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            return false;
        }
    }

    static async Task<IReadOnlyList<LedgerEntry>> ListAsync(AsyncPageable<TableEntity> query)
    {
        var list = new List<LedgerEntry>();
        await foreach (var entity in query)
        {
            list.Add(FromEntity(entity));
        }

        return list;
    }

    /// <summary>Keys may not hold '/', '\', '#', '?' or control characters: ids are written as base64url.</summary>
    static string Key(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    static string Partition(string groupId, string memberId) => Key(groupId) + "." + Key(memberId);

    static string Row(string approvalId) => Key(approvalId);

    static TableEntity ToEntity(LedgerEntry e) => new(Partition(e.GroupId, e.MemberId), Row(e.ApprovalId))
    {
        ["ApprovalId"] = e.ApprovalId,
        ["GroupId"] = e.GroupId,
        ["MemberId"] = e.MemberId,
        ["NotAfter"] = e.NotAfter,
        ["EndedAt"] = e.EndedAt,
        ["Adding"] = e.Adding,
        ["Added"] = e.Added,
        ["Standing"] = e.Standing,
        ["Settled"] = e.Settled,
        ["LateAdds"] = e.LateAdds,
    };

    static LedgerEntry FromEntity(TableEntity t) => new(
        t.GetString("ApprovalId"),
        t.GetString("GroupId"),
        t.GetString("MemberId"),
        t.GetDateTimeOffset("NotAfter") ?? DateTimeOffset.MinValue,
        t.GetDateTimeOffset("EndedAt"),
        t.GetBoolean("Adding") ?? false,
        t.GetBoolean("Added") ?? false,
        t.GetBoolean("Standing") ?? false,
        t.GetBoolean("Settled") ?? false,
        t.GetInt32("LateAdds") ?? 0,
        t.ETag.ToString());
}
