using Approvals.Core.Indent;
using Approvals.Core.Secrets;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace Approvals.Core.Workflow;

/// <summary>Creates the Indent petition for a workflow. Idempotent: the petition's request id is the instance id,
/// so a retried activity finds the petition its first attempt created instead of making another — while that petition
/// is still open and asks for this same request; a decided one (an earlier request's under a reused id) is never
/// adopted.</summary>
public sealed class CreatePetitionActivity(IndentClient indent, ISecretProvider secrets, ILogger<CreatePetitionActivity> logger)
    : TaskActivity<CreatePetitionInput, PetitionRef>
{
    public override async Task<PetitionRef> RunAsync(TaskActivityContext context, CreatePetitionInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        // The person who asked is the petitioner (Indent's audit log and the approver see them); the service account's
        // token subject only for approvals started before callers were known.
        Resource petitioner;
        if (input.RequestedBy is { } requester)
        {
            // The directory person: object id as id (stable), mail or user principal name to show and to reach them.
            petitioner = new Resource { Kind = "user", Id = requester.Id, Email = requester.Email.Contains('@') ? requester.Email : null, DisplayName = requester.Name };
        }
        else
        {
            var subject = IndentToken.TryGetSubject(await secrets.GetSecretAsync(IndentOptions.TokenSetting));
            petitioner = subject is null
                ? new Resource { Kind = "service", Id = "approvals", DisplayName = "Approvals" }
                : new Resource { Kind = "user", Id = subject, Email = subject.Contains('@') ? subject : null };
        }

        var labels = new Dictionary<string, string>
        {
            [WorkflowLabels.Instance] = input.InstanceId,
            [WorkflowLabels.User] = input.UserId,
            [WorkflowLabels.Action] = input.Action,
        };
        var resource = input.Resource is { } asked
            ? new Resource { Kind = asked.ResourceKind, Id = asked.ResourceId, DisplayName = asked.ResourceName, Labels = labels }
            : new Resource { Kind = "action", Id = PetitionSeal.ResourceIdFor(input.Action, input.UserId), DisplayName = $"{input.Title ?? "Reset Password"} (user:{input.UserId})", Labels = labels };
        var petition = new Petition
        {
            Petitioners = [petitioner],
            Resources = [resource],
            Reason = input.Reason,
            DefaultDuration = input.DurationSeconds is { } seconds and > 0 ? IndentDuration.From(TimeSpan.FromSeconds(seconds)) : null, // 0: none asked (the approval step)
            Meta = new ObjectMeta { Labels = new Dictionary<string, string>(labels) { [IndentLabels.RequestId] = input.InstanceId } },
        };

        var keys = await secrets.GetSecretListAsync(PetitionSeal.KeySetting);
        if (keys.Count == 0)
        {
            throw new PermanentActivityFailureException($"{PetitionSeal.KeySetting} is not set: petitions cannot be sealed.");
        }

        petition.Meta!.Labels![PetitionSeal.Label] = PetitionSeal.Compute(keys[0], input.InstanceId);

        // Every attempt looks first: an earlier attempt (or delivery) may have created it and lost the answer.
        var existing = await IndentCalls.StopRetryingOnRefusal(() => indent.FindPetitionsByRequestIdAsync(input.InstanceId));
        if (existing.Count > 0 && await AdoptAsync(existing, input, petitioner, resource.Id!, keys) is { } adopted)
        {
            return adopted;
        }

        var created = await IndentCalls.StopRetryingOnRefusal(() => indent.CreatePetitionAsync(petition));
        logger.LogInformation("Petition {Petition} created for approval {InstanceId}", created.Name, input.InstanceId);
        return new PetitionRef(created.Name ?? throw new PermanentActivityFailureException("Indent created a petition without a name."), indent.Space);
    }

    /// <summary>Adopts the oldest petition sealed for this instance that is still open and asks for this very request
    /// (same resource, reason and petitioner): what an earlier attempt of this activity created and lost the answer to.
    /// Every other open one sealed for this instance is closed — an orphan of overlapping attempts, or the leftover of an
    /// earlier request that ran under the same id (an Idempotency-Key reused after the engine lost the instance, a
    /// caller's own step id). A petition that is no longer open is never adopted: its decision was another request's
    /// (or this request's, in an execution the engine no longer has), and a grant is used only by the run that asked.
    /// Null when nothing is adopted (a new petition is created); refuses when petitions carry the request id but none
    /// was sealed by this deployment.</summary>
    async Task<PetitionRef?> AdoptAsync(IReadOnlyList<Petition> existing, CreatePetitionInput input, Resource petitioner, string resourceId, IReadOnlyList<string> keys)
    {
        var ours = existing
            .Where(p => PetitionSeal.IsSealedFor(p, input.InstanceId, keys))
            .OrderBy(p => p.Meta?.CreateTime)
            .ToList();
        if (ours.Count == 0)
        {
            logger.LogWarning("Approval {InstanceId}: a petition carries its request id but was not created by this deployment", input.InstanceId);
            throw new PermanentActivityFailureException(
                $"refused: {PetitionSeal.Refusal(existing[0], input.InstanceId, resourceId, keys)}; a petition carrying this approval's request id exists that this deployment did not create");
        }

        var adopt = ours.FirstOrDefault(p => p.Phase == IndentPhases.Open
            && PetitionSeal.Refusal(p, input.InstanceId, resourceId, keys) is null
            && SameRequest(p, input, petitioner));
        foreach (var leftover in ours.Where(p => p.Phase == IndentPhases.Open && !ReferenceEquals(p, adopt)))
        {
            var why = adopt is null ? "superseded by a new request under the same approval id" : "duplicate of " + adopt.Name;
            await IndentCalls.StopRetryingOnRefusal(() => indent.DenyAsync(leftover.Name!, "Closed by Approvals: " + why, claimId: input.InstanceId + "-orphan"));
        }

        if (adopt is null)
        {
            logger.LogInformation("Approval {InstanceId}: no open petition of this request to adopt; creating a new one", input.InstanceId);
            return null;
        }

        logger.LogInformation("Petition {Petition} adopted for approval {InstanceId}", adopt.Name, input.InstanceId);
        return new PetitionRef(adopt.Name!, indent.Space);
    }

    /// <summary>The petition asks what this input asks: the same reason, by the same petitioner (the resource and the
    /// instance are the seal's to check).</summary>
    static bool SameRequest(Petition petition, CreatePetitionInput input, Resource petitioner) =>
        string.Equals(petition.Reason, input.Reason, StringComparison.Ordinal)
        && petition.Petitioners is { Count: > 0 } petitioners
        && petitioners.Any(p => string.Equals(p.Id, petitioner.Id, StringComparison.OrdinalIgnoreCase));
}
