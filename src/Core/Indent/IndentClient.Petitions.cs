using Microsoft.Extensions.Logging;
using System.Net.Http.Json;

namespace Approvals.Core.Indent;

public partial class IndentClient
{
    /// <summary>Creates a petition (Indent assigns its name). Safe to retry: the petition carries our request id
    /// label and, before every repeat post, we look it up, so a lost response never makes two.</summary>
    public virtual async Task<Petition> CreatePetitionAsync(Petition petition, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(petition);
        var labels = new Dictionary<string, string>(petition.Meta?.Labels ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        if (!labels.TryGetValue(IndentLabels.RequestId, out var requestId) || string.IsNullOrEmpty(requestId))
        {
            requestId = Guid.NewGuid().ToString("N");
            labels[IndentLabels.RequestId] = requestId;
        }

        var toSend = petition with { Name = null, Meta = (petition.Meta ?? new ObjectMeta()) with { Labels = labels } };
        var attempt = 0;
        return await pipeline.ExecuteAsync(async ct =>
        {
            if (attempt++ > 0 && await FindByRequestIdAsync(requestId, ct) is { } existing)
            {
                logger.LogInformation("Petition {Petition} already created by an earlier attempt", existing.Name);
                return existing;
            }

            using var request = new HttpRequestMessage(HttpMethod.Post, $"{SpacePath}/petitions")
            {
                Content = JsonContent.Create(new CreatePetitionRequest(toSend), IndentJsonContext.Default.CreatePetitionRequest),
            };
            return await SendOnceAsync(request, IndentJsonContext.Default.Petition, ct);
        }, cancellationToken);
    }

    /// <summary>The petition carrying our request-id label, if one exists. One attempt: the caller's retry repeats it.</summary>
    async Task<Petition?> FindByRequestIdAsync(string requestId, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{SpacePath}/petitions" + Query(("labelSelector", $"{IndentLabels.RequestId}={requestId}"), ("pageSize", "10")));
        var page = await SendOnceAsync(request, IndentJsonContext.Default.ListPetitionsResponse, cancellationToken);
        return page.Petitions is { Count: > 0 } found ? found[0] : null;
    }

    /// <summary>Every petition carrying our request-id label (normally none or one), retried like any read.</summary>
    public virtual async Task<IReadOnlyList<Petition>> FindPetitionsByRequestIdAsync(string requestId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(requestId);
        var found = new List<Petition>();
        await foreach (var petition in ListPetitionsAsync($"{IndentLabels.RequestId}={requestId}", pageSize: 10, cancellationToken))
        {
            found.Add(petition);
        }

        return found;
    }

    public virtual Task<Petition> GetPetitionAsync(string petitionName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(petitionName);
        return SendAsync(() => new HttpRequestMessage(HttpMethod.Get, $"{SpacePath}/petitions/{Uri.EscapeDataString(petitionName)}"), IndentJsonContext.Default.Petition, cancellationToken);
    }

    /// <summary>Every petition matching <paramref name="labelSelector"/> (<c>key=value,key2=value2</c>), page by page.</summary>
    public virtual IAsyncEnumerable<Petition> ListPetitionsAsync(string? labelSelector = null, int pageSize = 100, CancellationToken cancellationToken = default) =>
        PagesAsync(
            token => $"{SpacePath}/petitions" + Query(("labelSelector", labelSelector), ("pageSize", Size(pageSize)), ("pageToken", token)),
            IndentJsonContext.Default.ListPetitionsResponse,
            page => (page.Petitions, page.NextPageToken),
            cancellationToken);
}
