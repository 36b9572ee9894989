using Approvals.Core.Indent;
using Approvals.Core.Secrets;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace Approvals.Core.Workflow;

/// <summary>Creates the Indent petition for a workflow. Idempotent: the petition's request id is the instance id,
/// so a retried activity finds the petition its first attempt created instead of making another.</summary>
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
        if (existing.Count > 0)
        {
            return await AdoptAsync(existing, input, resource.Id!, keys);
        }

        var created = await IndentCalls.StopRetryingOnRefusal(() => indent.CreatePetitionAsync(petition));
        logger.LogInformation("Petition {Petition} created for approval {InstanceId}", created.Name, input.InstanceId);
        return new PetitionRef(created.Name ?? throw new PermanentActivityFailureException("Indent created a petition without a name."), indent.Space);
    }

    /// <summary>Adopts the oldest sealed petition carrying this request id and closes any other sealed ones (orphans of
    /// overlapping attempts); refuses when none is ours.</summary>
    async Task<PetitionRef> AdoptAsync(IReadOnlyList<Petition> existing, CreatePetitionInput input, string resourceId, IReadOnlyList<string> keys)
    {
        var ours = existing
            .Where(p => PetitionSeal.Refusal(p, input.InstanceId, resourceId, keys) is null)
            .OrderBy(p => p.Meta?.CreateTime)
            .ToList();
        if (ours.Count == 0)
        {
            logger.LogWarning("Approval {InstanceId}: a petition carries its request id but was not created by this deployment", input.InstanceId);
            throw new PermanentActivityFailureException(
                $"refused: {PetitionSeal.Refusal(existing[0], input.InstanceId, resourceId, keys)}; a petition carrying this approval's request id exists that this deployment did not create");
        }

        foreach (var orphan in ours.Skip(1).Where(p => p.Phase == IndentPhases.Open))
        {
            await IndentCalls.StopRetryingOnRefusal(() => indent.DenyAsync(orphan.Name!, "Closed by Approvals: duplicate of " + ours[0].Name, claimId: input.InstanceId + "-orphan"));
        }

        logger.LogInformation("Petition {Petition} adopted for approval {InstanceId}", ours[0].Name, input.InstanceId);
        return new PetitionRef(ours[0].Name!, indent.Space);
    }
}
